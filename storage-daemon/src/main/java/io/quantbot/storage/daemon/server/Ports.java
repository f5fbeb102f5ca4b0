package io.quantbot.storage.daemon.server;

import io.quantbot.storage.daemon.lifecycle.StartupException;
import java.io.IOException;
import java.net.BindException;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Start-up checks of the daemon's ports, so that "address in use" says which port (gRPC or HTTP) and,
 * where Linux tells (/proc), which process holds it.
 */
final class Ports {
    private static final Path PROC = Path.of("/proc");

    private Ports() {}

    /** Fails with exit 3 now, before anything slow starts, if {@code port} (not 0) cannot be bound on {@code host}. */
    static void requireFree(String what, String key, String host, int port) {
        if (port == 0) {
            return;
        }
        try (ServerSocket socket = new ServerSocket()) {
            socket.setReuseAddress(true);
            socket.bind(new InetSocketAddress(host, port));
        } catch (BindException e) {
            throw inUse(what, key, host, port, e);
        } catch (IOException e) {
            throw new StartupException("cannot open the " + what + " port " + host + ":" + port + ": " + e.getMessage() + " (set " + key + ")",
                    StartupException.BAD_SETTING, e);
        }
    }

    /** The start-up error for a port found in use (here or when the server itself bound it). */
    static StartupException inUse(String what, String key, String host, int port, Throwable cause) {
        String holder = holder(port).map(h -> " by " + h).orElse(" by another process");
        return new StartupException("the " + what + " port " + host + ":" + port + " is already in use" + holder
                + ": stop that process, or choose another port with " + key + " (0 = any free port)",
                StartupException.HELD_BY_ANOTHER_PROCESS, cause);
    }

    /** Whether {@code throwable} or one of its causes is a failure to bind. */
    static boolean isBindFailure(Throwable throwable) {
        for (Throwable t = throwable; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof BindException || String.valueOf(t.getMessage()).toLowerCase(Locale.ROOT).contains("address already in use")) {
                return true;
            }
        }
        return false;
    }

    /** "process 123 (python3 -m http.server)" for the listener of a TCP port, when /proc can tell. */
    static Optional<String> holder(int port) {
        try {
            Optional<String> inode = listeningInode(port);
            if (inode.isEmpty()) {
                return Optional.empty();
            }
            String socket = "socket:[" + inode.get() + "]";
            try (DirectoryStream<Path> processes = Files.newDirectoryStream(PROC, entry -> entry.getFileName().toString().matches("\\d+"))) {
                for (Path process : processes) {
                    if (holdsSocket(process, socket)) {
                        return Optional.of("process " + process.getFileName() + commandLine(process));
                    }
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux, or /proc not readable: the holder stays unknown
        }
        return Optional.empty();
    }

    private static Optional<String> listeningInode(int port) throws IOException {
        String hexPort = String.format(Locale.ROOT, ":%04X", port);
        for (String table : List.of("net/tcp", "net/tcp6")) {
            Path file = PROC.resolve(table);
            if (!Files.isReadable(file)) {
                continue;
            }
            for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
                String[] fields = line.trim().split("\\s+");
                // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
                if (fields.length > 9 && fields[1].endsWith(hexPort) && fields[3].equals("0A")) {
                    return Optional.of(fields[9]);
                }
            }
        }
        return Optional.empty();
    }

    private static boolean holdsSocket(Path process, String socket) {
        try (DirectoryStream<Path> fds = Files.newDirectoryStream(process.resolve("fd"))) {
            for (Path fd : fds) {
                try {
                    if (Files.readSymbolicLink(fd).toString().equals(socket)) {
                        return true;
                    }
                } catch (IOException e) {
                    // closed meanwhile
                }
            }
        } catch (IOException | SecurityException e) {
            return false;
        }
        return false;
    }

    private static String commandLine(Path process) {
        try {
            String command = new String(Files.readAllBytes(process.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ').strip();
            if (command.length() > 100) {
                command = command.substring(0, 97) + "...";
            }
            return command.isEmpty() ? "" : " (" + command + ")";
        } catch (IOException e) {
            return "";
        }
    }
}
