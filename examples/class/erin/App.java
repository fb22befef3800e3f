import java.io.*;
import java.util.*;

public class App
{
    public static void main(String[] argv) throws IOException
    {
        if (argv.length != 1)
        {
            System.err.println("usage: java App FILE");
            System.exit(2);
        }
        Stats st = new Stats();
        String top = null;
        double topMark = -1;
        int lines = 0;
        try (BufferedReader in = new BufferedReader(new FileReader(argv[0])))
        {
            String row;
            while ((row = in.readLine()) != null)
            {
                lines++;
                row = row.trim();
                if (row.isEmpty() || row.startsWith("#")) { continue; }
                String[] cols = row.split(",");
                double mark = Double.parseDouble(cols[1].trim());
                st.push(mark);
                if (mark > topMark) { topMark = mark; top = cols[0].trim(); }
            }
        }
        System.out.println("students: " + st.size());
        System.out.printf("mean: %.2f%n", st.average());
        System.out.printf("median: %.2f%n", st.median());
        for (Map.Entry<Character, Integer> kv : st.buckets().entrySet())
        {
            System.out.println(kv.getKey() + ": " + "*".repeat(kv.getValue()));
        }
        System.out.printf("best: %s (%.1f)%n", top, topMark);
    }
}
