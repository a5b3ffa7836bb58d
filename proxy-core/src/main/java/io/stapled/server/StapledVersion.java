package io.stapled.server;

/** The version in the jar's manifest; "dev" when run from classes (tests, IDE). */
public final class StapledVersion {
    private StapledVersion() { }

    public static String get() {
        String v = StapledVersion.class.getPackage().getImplementationVersion();
        return v != null ? v : "dev";
    }
}
