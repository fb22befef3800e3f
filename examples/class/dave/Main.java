import java.io.BufferedReader;
import java.io.FileReader;
import java.io.IOException;
import java.util.Map;

public class Main {
    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            System.err.println("usage: java Main FILE");
            System.exit(2);
        }
        GradeStats stats = new GradeStats();
        String best = null;
        double bestScore = -1;
        try (BufferedReader reader = new BufferedReader(new FileReader(args[0]))) {
            String line;
            while ((line = reader.readLine()) != null) {
                line = line.trim();
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.split(",");
                double score = Double.parseDouble(parts[1].trim());
                stats.add(score);
                if (score > bestScore) {
                    bestScore = score;
                    best = parts[0].trim();
                }
            }
        }
        System.out.println("students: " + stats.count());
        System.out.printf("mean: %.2f%n", stats.mean());
        System.out.printf("median: %.2f%n", stats.median());
        for (Map.Entry<Character, Integer> e : stats.histogram().entrySet()) {
            System.out.println(e.getKey() + ": " + "*".repeat(e.getValue()));
        }
        System.out.printf("best: %s (%.1f)%n", best, bestScore);
    }
}
