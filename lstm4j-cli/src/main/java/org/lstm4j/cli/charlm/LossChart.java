package org.lstm4j.cli.charlm;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** Draws training and validation loss against the step as a PNG (XChart, headless). */
public final class LossChart {

    /** One point of a loss curve. */
    public record Point(int step, double loss) {
    }

    private LossChart() {
    }

    public static void write(Path png, String title, List<Point> train, List<Point> validation) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder().width(900).height(500).title(title)
                .xAxisTitle("step").yAxisTitle("cross-entropy (nats/char)").build();
        chart.getStyler().setMarkerSize(4);
        if (!train.isEmpty()) {
            chart.addSeries("train", steps(train), losses(train)).setMarker(SeriesMarkers.NONE);
        }
        if (!validation.isEmpty()) {
            chart.addSeries("validation", steps(validation), losses(validation)).setMarker(SeriesMarkers.CIRCLE);
        }
        String name = png.toString();
        BitmapEncoder.saveBitmap(chart, name.endsWith(".png") ? name.substring(0, name.length() - 4) : name,
                BitmapEncoder.BitmapFormat.PNG);
    }

    private static double[] steps(List<Point> points) {
        return points.stream().mapToDouble(Point::step).toArray();
    }

    private static double[] losses(List<Point> points) {
        return points.stream().mapToDouble(Point::loss).toArray();
    }
}
