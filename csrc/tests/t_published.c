/*
 * t_published.c - a published cohort model reproduced with the public API
 * (cc_project, cc_accrue, cc_present_value together).
 *
 * Chancellor JV, Hill AM, Sabin CA, Simpson KN, Youle M. Modelling the cost
 * effectiveness of lamivudine/zidovudine combination therapy in HIV
 * infection.  Pharmacoeconomics 1997;12(1):54-66, as replicated in Briggs A,
 * Claxton K, Sculpher M. Decision Modelling for Health Economic Evaluation.
 * Oxford University Press, 2006, exercise 2.5 (tables 2.2-2.4).
 *
 * Four states: A (CD4 200-500), B (CD4 < 200), C (AIDS), D (death).
 * Annual probabilities from the transition counts of table 2.2:
 *   from A (1734): to B 350, to C 116, to D 17
 *   from B (1258): to C 512, to D 15
 *   from C (1749): to D 437
 * Combination therapy multiplies every transition probability by the
 * relative risk 0.509 for the first two years and adds lamivudine (2,087 a
 * year) to the drug cost of each living state.  Annual cost per state:
 * direct medical + community + zidovudine
 *   A 1701 + 1055 + 2278 = 5034, B 1774 + 1278 + 2278 = 5330,
 *   C 6948 + 2059 + 2278 = 11285.
 * 1000 people start in A; 20 annual cycles; each cycle counts the people at
 * its end (no half-cycle correction); costs are discounted at 6% a year at
 * the end of the cycle, life-years are not discounted.
 * Published results: monotherapy 7.991 life-years (the exercise's solution
 * spreadsheet; the book's text prints 7.996) and 44,663 pounds; combination
 * 8.937 life-years and 50,602 pounds; ICER 6,276 pounds per life-year gained.
 * The book prints pounds whole and, from its spreadsheet, truncated, so the
 * money checks allow 1 pound.
 */
#include <stdlib.h>

#include "carecast.h"
#include "cctest.h"

enum { NS = 4, NF = 6, CYCLES = 20 };

static const int64_t hiv_src[NF] = {0, 0, 0, 1, 1, 2};
static const int64_t hiv_dst[NF] = {1, 2, 3, 2, 3, 3};

typedef struct arm_result {
    double life_years;
    double cost;
    int rc;
} arm_result;

static arm_result run_arm(int combination_years)
{
    const cc_structure m = {NS, NF, hiv_src, hiv_dst, NULL};
    const double mono_p[NF] = {350.0 / 1734, 116.0 / 1734, 17.0 / 1734,
                               512.0 / 1258, 15.0 / 1258, 437.0 / 1749};
    const double mono_cost[NS] = {5034, 5330, 11285, 0};
    const double alive[NS] = {1, 1, 1, 0};
    const double x0[NS] = {1000, 0, 0, 0};
    const double zero_start[1] = {0}, six[1] = {0.06}, none[1] = {0.0};
    const cc_schedule costs_rate = {1, zero_start, six};
    const cc_schedule effects_rate = {1, zero_start, none};
    double value[CYCLES * NF], cost[CYCLES * NS];
    double occ[(CYCLES + 1) * NS], total[CYCLES];
    double work[NF + 4 * NS + 16];
    arm_result out = {0, 0, CC_OK};
    int t, i;

    if (cc_project_workspace(&m) > sizeof work / sizeof work[0]) {
        out.rc = -1;
        return out;
    }
    for (t = 0; t < CYCLES; t++) {
        const int combo = t < combination_years;
        for (i = 0; i < NF; i++) value[t * NF + i] = combo ? 0.509 * mono_p[i] : mono_p[i];
        for (i = 0; i < NS; i++)
            cost[t * NS + i] = mono_cost[i] + (combo && i < 3 ? 2087.0 : 0.0);
    }
    out.rc = cc_project(&m, CYCLES, 1.0, CC_KIND_PROB, value, NF, NULL, 0, x0, work, occ,
                        NULL, NULL, NULL);
    if (out.rc != CC_OK) return out;
    /* Life-years: people alive at the end of each cycle, undiscounted. */
    out.rc = cc_accrue(NS, NF, CYCLES, 1.0, occ, NULL, NULL, alive, 0, NULL, 0, NULL, 0,
                       CC_OCC_END, NULL, NULL, NULL, NULL, NULL, total, NULL);
    if (out.rc != CC_OK) return out;
    out.rc = cc_present_value(CYCLES, total, 1.0, CC_TIMING_END, &effects_rate,
                              &out.life_years, NULL, NULL);
    if (out.rc != CC_OK) return out;
    /* Costs: end-of-cycle occupancy, discounted at 6% at the cycle's end. */
    out.rc = cc_accrue(NS, NF, CYCLES, 1.0, occ, NULL, NULL, cost, NS, NULL, 0, NULL, 0,
                       CC_OCC_END, NULL, NULL, NULL, NULL, NULL, total, NULL);
    if (out.rc != CC_OK) return out;
    out.rc = cc_present_value(CYCLES, total, 1.0, CC_TIMING_END, &costs_rate, &out.cost,
                              NULL, NULL);
    out.life_years /= 1000.0;
    out.cost /= 1000.0;
    return out;
}

void t_published_chancellor(int *status)
{
    static const char *fn = "published: Chancellor 1997 / Briggs ex. 2.5";
    const arm_result mono = run_arm(0);
    const arm_result combo = run_arm(2);
    viv(mono.rc, CC_OK, fn, "monotherapy arm runs", status);
    viv(combo.rc, CC_OK, fn, "combination arm runs", status);
    vvd(mono.life_years, 7.991, 0.0005, fn, "monotherapy life-years 7.991", status);
    vvd(mono.cost, 44663.0, 1.0, fn, "monotherapy cost 44,663", status);
    vvd(combo.life_years, 8.937, 0.0005, fn, "combination life-years 8.937", status);
    vvd(combo.cost, 50602.0, 1.0, fn, "combination cost 50,602", status);
    vvd((combo.cost - mono.cost) / (combo.life_years - mono.life_years), 6276.0, 1.0, fn,
        "ICER 6,276 per life-year", status);
}
