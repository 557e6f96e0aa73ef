package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The benchmark starts the service with the JVM options that scripts/run and the Docker image use. */
class ServiceCommandTest {

    /** The repository's root, seen from the bench module (where Maven runs its tests). */
    private static final Path REPOSITORY = Path.of("..").toAbsolutePath().normalize();

    @Test
    void theServiceAndItsSeedStartWithTheArgumentFile() {
        Path root = Path.of("/repo");
        assertThat(Bench.serviceCommand(root, "ledger.jar", "seed", "--accounts=1"))
                .containsExactly("java", "@/repo/scripts/jvm.args", "-jar", "ledger.jar", "seed", "--accounts=1");
    }

    @Test
    void theServiceStartsInASessionOfItsOwnWhenTheMachineHasSetsid(@TempDir Path bin) throws IOException {
        Path setsid = Files.createFile(bin.resolve("setsid"));
        assertThat(setsid.toFile().setExecutable(true)).isTrue();
        List<String> command = List.of("java", "-jar", "ledger.jar");

        assertThat(Bench.inSessionOfItsOwn(command, setsid))
                .containsExactly(setsid.toString(), "java", "-jar", "ledger.jar");
        assertThat(Bench.inSessionOfItsOwn(command, bin.resolve("missing"))).isEqualTo(command);
    }

    @Test
    void theOptionsAreTheArgumentFilesLinesWithoutComments(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("scripts"));
        Files.writeString(root.resolve(Bench.JVM_ARGS), """
                # a comment
                -XX:+UseParallelGC

                  -Dx=y   # why
                """);
        assertThat(Bench.jvmOptions(root)).containsExactly("-XX:+UseParallelGC", "-Dx=y");
    }

    @Test
    void scriptsRunTheDockerImageAndTheBenchmarkShareOneArgumentFile() throws IOException {
        assertThat(Bench.jvmOptions(REPOSITORY)).contains("-XX:+UseParallelGC", "-Daxoniq.update-checker.disabled=true");
        assertThat(Files.readString(REPOSITORY.resolve("scripts/run")))
                .contains("exec java @" + Bench.JVM_ARGS + " -jar ");
        assertThat(Files.readString(REPOSITORY.resolve("docker/Dockerfile")))
                .contains("COPY " + Bench.JVM_ARGS + " /app/jvm.args")
                .contains("ENTRYPOINT [\"java\", \"@/app/jvm.args\", \"-jar\", \"/app/ledger.jar\"]");
    }
}
