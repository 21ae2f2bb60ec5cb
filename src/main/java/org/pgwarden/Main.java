package org.pgwarden;
public final class Main { public static void main(String[] a) {} }
