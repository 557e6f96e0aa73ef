package dev.ledger.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ChartTest {

    @Test
    void theHigherPointIsLabelledAboveAndTheLowerBelow() {
        assertThat(Chart.labelAbove(4_600, 4_500, false)).isTrue();
        assertThat(Chart.labelAbove(4_500, 4_600, true)).isFalse();
        assertThat(Chart.labelAbove(4_500, 4_500, true)).isTrue();
        assertThat(Chart.labelAbove(4_500, 4_500, false)).isFalse();
        assertThat(Chart.labelAbove(4_500, Double.NaN, false)).isTrue();
        assertThat(Chart.labelBaseline(200, true, 12)).isLessThan(200);
        assertThat(Chart.labelBaseline(200, false, 12) - 12).isGreaterThan(200);
    }

    @Test
    void equalValuesAreLabelledOnOppositeSidesOfTheirPoint(@TempDir Path dir) throws Exception {
        // the two lines meet at 16 clients: pgbench's label above the point, the ledger's below
        List<Map<String, Object>> sweep = new ArrayList<>();
        int[] clients = {1, 2, 4, 8, 16};
        double[] pgbench = {1_500, 2_900, 3_500, 4_600, 4_600};
        double[] ledger = {1_400, 1_800, 3_000, 4_500, 4_600};
        for (int i = 0; i < clients.length; i++) {
            sweep.add(Map.of("clients", clients[i], "pgbenchTps", pgbench[i], "ledgerPerSecond", ledger[i]));
        }
        File file = dir.resolve("chart.png").toFile();
        Chart.write(sweep, file);
        BufferedImage image = ImageIO.read(file);
        assertThat(image.getWidth()).isEqualTo(Chart.W);
        assertThat(image.getHeight()).isEqualTo(Chart.H);

        int plotW = Chart.W - Chart.LEFT - Chart.RIGHT;
        int plotH = Chart.H - Chart.TOP - Chart.BOTTOM;
        double top = Chart.niceCeiling(4_600 * 1.1);
        int x = Chart.LEFT + (int) Math.round(plotW * 0.95);
        int y = Chart.TOP + plotH - (int) Math.round(plotH * 4_600 / top);
        // right of the point nothing but the two labels is drawn (the lines come from the left)
        assertThat(count(image, x + 6, x + 60, y - 22, y - 2, ChartTest::blue)).isPositive();
        assertThat(count(image, x + 6, x + 60, y - 22, y - 2, ChartTest::red)).isZero();
        assertThat(count(image, x + 6, x + 60, y + 2, y + 22, ChartTest::red)).isPositive();
        assertThat(count(image, x + 6, x + 60, y + 2, y + 22, ChartTest::blue)).isZero();
    }

    private static int count(BufferedImage image, int x0, int x1, int y0, int y1, RgbTest test) {
        int n = 0;
        for (int x = Math.max(0, x0); x < Math.min(image.getWidth(), x1); x++) {
            for (int y = Math.max(0, y0); y < Math.min(image.getHeight(), y1); y++) {
                int rgb = image.getRGB(x, y);
                if (test.matches((rgb >> 16) & 0xff, (rgb >> 8) & 0xff, rgb & 0xff)) {
                    n++;
                }
            }
        }
        return n;
    }

    private static boolean red(int r, int g, int b) {
        return r > 150 && g < 110 && b < 110;
    }

    private static boolean blue(int r, int g, int b) {
        return b > 130 && r < 110 && b - r > 60;
    }

    @FunctionalInterface
    private interface RgbTest {
        boolean matches(int r, int g, int b);
    }
}
