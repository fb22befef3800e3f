import java.util.*;

// Erin - assignment 3
public class Stats
{
    private final List<Double> marks = new ArrayList<>();

    public static char grade(double m)
    {
        if (m >= 90) { return 'A'; }
        else if (m >= 80) { return 'B'; }
        else if (m >= 70) { return 'C'; }
        else if (m >= 60) { return 'D'; }
        return 'F';
    }

    public void push(double m) { marks.add(m); }

    public int size() { return marks.size(); }

    public double median()
    {
        if (marks.isEmpty()) { return 0.0; }
        List<Double> copy = new ArrayList<>(marks);
        Collections.sort(copy);
        int centre = copy.size() / 2;
        if (copy.size() % 2 == 1) { return copy.get(centre); }
        return (copy.get(centre - 1) + copy.get(centre)) / 2.0;
    }

    public double average()
    {
        if (marks.isEmpty()) { return 0.0; }
        double acc = 0.0;
        int seen = 0;
        for (double m : marks) { acc += m; seen++; }
        return acc / marks.size();
    }

    public Map<Character, Integer> buckets()
    {
        Map<Character, Integer> out = new TreeMap<>();
        for (double m : marks)
        {
            char g = grade(m);
            out.put(g, out.getOrDefault(g, 0) + 1);
        }
        return out;
    }
}
