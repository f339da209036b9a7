/*
 * t_status.c - cc_version and cc_strerror.
 */
#include <limits.h>
#include <string.h>

#include "carecast.h"
#include "cctest.h"

void t_cc_version(int *status)
{
    /* Header: MAJOR * 10000 + MINOR * 100 + PATCH; "0.1.0" -> 100. */
    viv(cc_version(), 100, "cc_version", "0.1.0 -> 100", status);
    viv(cc_version(),
        CC_VERSION_MAJOR * 10000 + CC_VERSION_MINOR * 100 + CC_VERSION_PATCH,
        "cc_version", "matches the header macros", status);
    vok(strcmp(CC_VERSION_STRING, "0.1.0") == 0, "cc_version",
        "CC_VERSION_STRING is \"0.1.0\"", status);
}

void t_cc_strerror(int *status)
{
    static const char unknown[] = "unknown carecast status";
    /* Every code of the cc_status enum, CC_OK .. CC_EINTERRUPTED. */
    static const int codes[] = {
        CC_OK, CC_ENOMEM, CC_EARG, CC_EDIM, CC_ENONFINITE, CC_ENEGATIVE,
        CC_EPROB, CC_EPROBSUM, CC_EINDEX, CC_EDT, CC_ENOTBRACKETED,
        CC_ENOCONVERGE, CC_ESCHEDULE, CC_ECALLBACK, CC_ETHREAD, CC_EOVERFLOW,
        CC_EINTERRUPTED};
    const size_t n = sizeof codes / sizeof codes[0];
    const char *msg[sizeof codes / sizeof codes[0]];
    char label[96];
    size_t i, j;
    int distinct = 1;

    viv((long long)n, 17, "cc_strerror", "the enum has 17 codes", status);
    for (i = 0; i < n; i++) {
        viv(codes[i], (long long)i, "cc_strerror",
            cct_label1(label, sizeof label, "enum value is its position", i), status);
        msg[i] = cc_strerror(codes[i]);
        vok(msg[i] != NULL && msg[i][0] != '\0', "cc_strerror",
            cct_label1(label, sizeof label, "non-empty message for code", i), status);
        vok(msg[i] != NULL && strcmp(msg[i], unknown) != 0, "cc_strerror",
            cct_label1(label, sizeof label, "known code is not 'unknown'", i), status);
    }
    for (i = 0; i < n; i++)
        for (j = i + 1; j < n; j++)
            if (msg[i] && msg[j] && strcmp(msg[i], msg[j]) == 0) distinct = 0;
    vok(distinct, "cc_strerror", "every code has its own message", status);

    /* Unknown codes, including both sides of the range. */
    vok(strcmp(cc_strerror(17), unknown) == 0, "cc_strerror", "code 17 unknown", status);
    vok(strcmp(cc_strerror(-1), unknown) == 0, "cc_strerror", "code -1 unknown", status);
    vok(strcmp(cc_strerror(INT_MAX), unknown) == 0, "cc_strerror", "INT_MAX unknown", status);
    vok(strcmp(cc_strerror(INT_MIN), unknown) == 0, "cc_strerror", "INT_MIN unknown", status);
    /* The same static string every time. */
    vok(cc_strerror(CC_EARG) == cc_strerror(CC_EARG), "cc_strerror",
        "static string (same pointer twice)", status);
}
