import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.stream.Collectors;

/** Frank: one class, streams instead of loops. */
public class Grades {
    record Entry(String name, double score) {}

    static String band(double score) {
        String[] names = {"A", "B", "C", "D"};
        int[] floors = {90, 80, 70, 60};
        for (int i = 0; i < floors.length; i++) {
            if (score >= floors[i]) return names[i];
        }
        return "F";
    }

    public static void main(String[] args) throws Exception {
        List<Entry> entries = Files.readAllLines(Path.of(args[0])).stream()
            .map(String::strip)
            .filter(l -> !l.isEmpty() && !l.startsWith("#"))
            .map(l -> l.split(","))
            .map(p -> new Entry(p[0].strip(), Double.parseDouble(p[1].strip())))
            .collect(Collectors.toList());
        double[] sorted = entries.stream().mapToDouble(Entry::score).sorted().toArray();
        int n = sorted.length;
        double median = n == 0 ? 0 : (n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2);
        System.out.println("students: " + n);
        System.out.printf("mean: %.2f%n", Arrays.stream(sorted).average().orElse(0));
        System.out.printf("median: %.2f%n", median);
        entries.stream()
            .collect(Collectors.groupingBy(e -> band(e.score()), java.util.TreeMap::new, Collectors.counting()))
            .forEach((band, count) -> System.out.println(band + ": " + "*".repeat(count.intValue())));
        entries.stream()
            .max((a, b) -> Double.compare(a.score(), b.score()))
            .ifPresent(e -> System.out.printf("best: %s (%.1f)%n", e.name(), e.score()));
    }
}
