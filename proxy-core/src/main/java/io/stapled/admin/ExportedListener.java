package io.stapled.admin;

import java.net.InetSocketAddress;

import io.netty.channel.unix.FileDescriptor;

/**
 * One listening socket a newer process may take over: the frontend it serves, the address it is bound
 * to, and its descriptor (still owned by the running listener: passing it duplicates it, never closes it).
 */
public record ExportedListener(String frontend, InetSocketAddress address, FileDescriptor fd) { }
