package dev.ledger.bench;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.AffineTransform;
import java.awt.image.BufferedImage;
import java.io.File;
import java.io.IOException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/** Throughput against client count, ledger and pgbench, as a PNG (java.awt, headless). */
public final class Chart {

    static final int W = 900;
    static final int H = 520;
    static final int LEFT = 90;
    static final int RIGHT = 30;
    static final int TOP = 50;
    static final int BOTTOM = 70;

    private Chart() {
    }

    public static void write(List<Map<String, Object>> sweep, File file) throws IOException {
        System.setProperty("java.awt.headless", "true");
        BufferedImage image = new BufferedImage(W, H, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, W, H);
        int n = sweep.size();
        double max = 1;
        for (Map<String, Object> s : sweep) {
            max = Math.max(max, value(s, "pgbenchTps"));
            max = Math.max(max, value(s, "ledgerPerSecond"));
        }
        double top = niceCeiling(max * 1.1);
        int plotW = W - LEFT - RIGHT;
        int plotH = H - TOP - BOTTOM;
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 16));
        g.setColor(Color.BLACK);
        g.drawString("Throughput against clients (same PostgreSQL, alternating)", LEFT, 30);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 12));
        FontMetrics fm = g.getFontMetrics();
        // grid and y labels
        for (int i = 0; i <= 5; i++) {
            double v = top * i / 5;
            int y = TOP + plotH - (int) Math.round(plotH * i / 5.0);
            g.setColor(new Color(225, 225, 225));
            g.drawLine(LEFT, y, LEFT + plotW, y);
            g.setColor(Color.DARK_GRAY);
            String label = String.format(Locale.ROOT, "%,.0f", v);
            g.drawString(label, LEFT - 8 - fm.stringWidth(label), y + 4);
        }
        // x positions: evenly spaced (client counts double)
        int[] xs = new int[n];
        for (int i = 0; i < n; i++) {
            xs[i] = LEFT + (n == 1 ? plotW / 2 : (int) Math.round(plotW * (0.05 + 0.9 * i / (n - 1.0))));
            String label = String.valueOf(sweep.get(i).get("clients"));
            g.setColor(Color.DARK_GRAY);
            g.drawString(label, xs[i] - fm.stringWidth(label) / 2, TOP + plotH + 18);
        }
        g.setColor(Color.BLACK);
        g.drawLine(LEFT, TOP, LEFT, TOP + plotH);
        g.drawLine(LEFT, TOP + plotH, LEFT + plotW, TOP + plotH);
        String xTitle = "concurrent clients (pgbench -c / HTTP connections)";
        g.drawString(xTitle, LEFT + plotW / 2 - fm.stringWidth(xTitle) / 2, H - 25);
        AffineTransform saved = g.getTransform();
        g.rotate(-Math.PI / 2);
        String yTitle = "throughput (pgbench tps / ledger deposits per s)";
        g.drawString(yTitle, -(TOP + plotH / 2) - fm.stringWidth(yTitle) / 2, 22);
        g.setTransform(saved);
        line(g, sweep, xs, "pgbenchTps", "ledgerPerSecond", true, top, plotH, new Color(0x1f, 0x77, 0xb4));
        line(g, sweep, xs, "ledgerPerSecond", "pgbenchTps", false, top, plotH, new Color(0xd6, 0x27, 0x28));
        // legend
        int lx = LEFT + 20;
        int ly = TOP + 15;
        g.setColor(Color.WHITE);
        g.fillRect(lx - 8, ly - 14, 250, 48);
        g.setColor(Color.GRAY);
        g.drawRect(lx - 8, ly - 14, 250, 48);
        legend(g, lx, ly, new Color(0x1f, 0x77, 0xb4), "pgbench tpcb-like (tps)");
        legend(g, lx, ly + 20, new Color(0xd6, 0x27, 0x28), "ledger REST deposits (per s)");
        g.dispose();
        File dir = file.getAbsoluteFile().getParentFile();
        if (dir != null) {
            dir.mkdirs();
        }
        if (!ImageIO.write(image, "png", file)) {
            throw new IOException("no PNG writer");
        }
    }

    private static void legend(Graphics2D g, int x, int y, Color c, String text) {
        g.setColor(c);
        g.setStroke(new BasicStroke(2.5f));
        g.drawLine(x, y - 4, x + 30, y - 4);
        g.fillOval(x + 11, y - 8, 8, 8);
        g.setColor(Color.BLACK);
        g.drawString(text, x + 40, y);
    }

    /**
     * Draws one series with each point's value beside it. At each client count the higher of the two
     * points gets its label above it and the lower one below, so that close values (the two lines
     * meeting) are not printed over each other; {@code aboveOnTie} says which series is above when
     * they are equal.
     */
    private static void line(Graphics2D g, List<Map<String, Object>> sweep, int[] xs, String key, String otherKey,
                             boolean aboveOnTie, double top, int plotH, Color c) {
        g.setColor(c);
        g.setStroke(new BasicStroke(2.5f));
        int px = -1;
        int py = -1;
        for (int i = 0; i < sweep.size(); i++) {
            double v = value(sweep.get(i), key);
            if (Double.isNaN(v)) {
                px = -1;
                continue;
            }
            int y = TOP + plotH - (int) Math.round(plotH * v / top);
            if (px >= 0) {
                g.drawLine(px, py, xs[i], y);
            }
            g.fillOval(xs[i] - 4, y - 4, 8, 8);
            String label = String.format(Locale.ROOT, "%,.0f", v);
            boolean above = labelAbove(v, value(sweep.get(i), otherKey), aboveOnTie);
            g.drawString(label, xs[i] + 6, labelBaseline(y, above, g.getFontMetrics().getAscent()));
            px = xs[i];
            py = y;
        }
    }

    /** Whether a point's label goes above it: yes if its value is the higher at its client count. */
    static boolean labelAbove(double v, double other, boolean aboveOnTie) {
        if (Double.isNaN(other) || v > other) {
            return true;
        }
        return v == other && aboveOnTie;
    }

    /** The baseline of a point's label: just above the point, or just below it. */
    static int labelBaseline(int pointY, boolean above, int ascent) {
        return above ? pointY - 6 : pointY + 6 + ascent;
    }

    static double value(Map<String, Object> m, String key) {
        return m.get(key) instanceof Number n ? n.doubleValue() : Double.NaN;
    }

    static double niceCeiling(double v) {
        double exp = Math.pow(10, Math.floor(Math.log10(v)));
        for (double step : new double[] {1, 2, 2.5, 5, 10}) {
            if (step * exp >= v) {
                return step * exp;
            }
        }
        return 10 * exp;
    }
}
