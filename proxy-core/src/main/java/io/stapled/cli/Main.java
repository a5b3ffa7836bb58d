package io.stapled.cli;

public final class Main {
    public static void main(String[] args) {
        System.out.println(io.netty.handler.ssl.OpenSsl.versionString());
    }
}
