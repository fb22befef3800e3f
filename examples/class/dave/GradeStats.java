import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/** Statistics over a list of scores. */
public class GradeStats {
    private final List<Double> scores = new ArrayList<>();

    public void add(double score) {
        scores.add(score);
    }

    public int count() {
        return scores.size();
    }

    public double mean() {
        if (scores.isEmpty()) {
            return 0.0;
        }
        double sum = 0.0;
        for (double s : scores) {
            sum += s;
        }
        return sum / scores.size();
    }

    public double median() {
        if (scores.isEmpty()) {
            return 0.0;
        }
        List<Double> sorted = new ArrayList<>(scores);
        Collections.sort(sorted);
        int mid = sorted.size() / 2;
        if (sorted.size() % 2 == 1) {
            return sorted.get(mid);
        }
        return (sorted.get(mid - 1) + sorted.get(mid)) / 2.0;
    }

    public static char letter(double score) {
        if (score >= 90) {
            return 'A';
        } else if (score >= 80) {
            return 'B';
        } else if (score >= 70) {
            return 'C';
        } else if (score >= 60) {
            return 'D';
        }
        return 'F';
    }

    public Map<Character, Integer> histogram() {
        Map<Character, Integer> counts = new TreeMap<>();
        for (double s : scores) {
            char key = letter(s);
            counts.put(key, counts.getOrDefault(key, 0) + 1);
        }
        return counts;
    }
}
