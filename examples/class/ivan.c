/* Ivan -- assignment 3, grade statistics in C */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAP 1000

static char to_grade(double v)
{
    if (v >= 90) return 'A';
    if (v >= 80) return 'B';
    if (v >= 70) return 'C';
    if (v >= 60) return 'D';
    return 'F';
}

static int cmp(const void *p, const void *q)
{
    double l = *(const double *)p, r = *(const double *)q;
    return (l > r) - (l < r);
}

int main(int count, char **args)
{
    if (count != 2)
    {
        fprintf(stderr, "usage: %s FILE\n", args[0]);
        return 2;
    }
    FILE *fp = fopen(args[1], "r");
    if (!fp)
    {
        perror(args[1]);
        return 1;
    }
    static double vals[CAP];
    char who[CAP][64];
    char buf[256];
    int k = 0, top = 0;
    double total = 0;
    while (k < CAP && fgets(buf, sizeof buf, fp))
    {
        if (buf[0] == '#' || buf[0] == '\n') continue;
        char *sep = strchr(buf, ',');
        if (!sep) continue;
        *sep = '\0';
        strncpy(who[k], buf, sizeof who[k] - 1);
        who[k][sizeof who[k] - 1] = '\0';
        vals[k] = atof(sep + 1);
        total += vals[k];
        if (vals[k] > vals[top]) top = k;
        k++;
    }
    fclose(fp);
    printf("students: %d\n", k);
    printf("mean: %.2f\n", k ? total / k : 0.0);
    double top_val = k ? vals[top] : 0.0;
    qsort(vals, k, sizeof vals[0], cmp);
    double med = k == 0 ? 0.0 : (k % 2 ? vals[k / 2] : (vals[k / 2 - 1] + vals[k / 2]) / 2);
    printf("median: %.2f\n", med);
    int tally[5] = {0};
    const char *letters = "ABCDF";
    for (int i = 0; i < k; i++) tally[strchr(letters, to_grade(vals[i])) - letters]++;
    for (int g = 0; g < 5; g++)
    {
        if (!tally[g]) continue;
        printf("%c: ", letters[g]);
        for (int j = 0; j < tally[g]; j++) putchar('*');
        putchar('\n');
    }
    if (k) printf("best: %s (%.1f)\n", who[top], top_val);
    return 0;
}
