#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STUDENTS 1000

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static char letter(double score) {
    if (score >= 90) return 'A';
    if (score >= 80) return 'B';
    if (score >= 70) return 'C';
    if (score >= 60) return 'D';
    return 'F';
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: %s FILE\n", argv[0]);
        return 2;
    }
    FILE *in = fopen(argv[1], "r");
    if (!in) {
        perror(argv[1]);
        return 1;
    }
    static double scores[MAX_STUDENTS];
    char names[MAX_STUDENTS][64];
    char line[256];
    int n = 0, best = 0;
    double sum = 0;
    while (n < MAX_STUDENTS && fgets(line, sizeof line, in)) {
        if (line[0] == '#' || line[0] == '\n') continue;
        char *comma = strchr(line, ',');
        if (!comma) continue;
        *comma = '\0';
        strncpy(names[n], line, sizeof names[n] - 1);
        names[n][sizeof names[n] - 1] = '\0';
        scores[n] = atof(comma + 1);
        sum += scores[n];
        if (scores[n] > scores[best]) best = n;
        n++;
    }
    fclose(in);
    printf("students: %d\n", n);
    printf("mean: %.2f\n", n ? sum / n : 0.0);
    double best_score = n ? scores[best] : 0.0;
    qsort(scores, n, sizeof scores[0], compare_doubles);
    double median = n == 0 ? 0.0 : (n % 2 ? scores[n / 2] : (scores[n / 2 - 1] + scores[n / 2]) / 2);
    printf("median: %.2f\n", median);
    int counts[5] = {0};
    const char *bands = "ABCDF";
    for (int i = 0; i < n; i++) counts[strchr(bands, letter(scores[i])) - bands]++;
    for (int b = 0; b < 5; b++) {
        if (!counts[b]) continue;
        printf("%c: ", bands[b]);
        for (int j = 0; j < counts[b]; j++) putchar('*');
        putchar('\n');
    }
    if (n) printf("best: %s (%.1f)\n", names[best], best_score);
    return 0;
}
