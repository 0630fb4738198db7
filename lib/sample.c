/* sample.c — the heap profiler's sampling arithmetic: a per-thread PRNG, the
 * exponential byte countdown between samples and the weight of a sample.
 *
 * Sampling by bytes (tcmalloc, jemalloc, heapprofd): sample points fall on
 * the stream of allocated bytes as a Poisson process of mean spacing `rate`.
 * Each thread counts down the bytes to its next point; an allocation that
 * reaches it is sampled and the countdown is drawn afresh (the exponential
 * is memoryless, so dropping the overshoot keeps the process Poisson). An
 * allocation of `size` bytes then holds a point with probability
 * p = 1 − e^(−size/rate), and a sample stands for 1/p allocations of its size.
 *
 * Integer and fixed-point arithmetic only: no floating point, no libm, no
 * locks, no malloc. Called on slow paths (once per sample), so the loops
 * below (a few dozen 128-bit multiplies) cost nothing that matters. */
#include "internal.h"

typedef unsigned __int128 u128;

/* splitmix64 (Steele, Lea, Flood): a Weyl sequence through a bijective mixer;
 * every seed, 0 included, gives a full-period stream of 2^64. */
uint64_t hk_sample_rand(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

#define LN2_Q32 2977044472ull      /* ln 2 · 2^32, rounded */
#define INV_LN2_Q32 6196328019ull  /* 1 / ln 2 · 2^32, rounded */

/* log2(1 + i/256) in Q.30 for i in [0, 256], within 2^-27 (made once by squaring the
 * mantissa bit by bit; check_sample compares hk_sample_log2_q30 with log2l). */
static const uint32_t log2_tab[257] = {
    0, 6039313, 12055173, 18047761, 24017256, 29963835,
    35887674, 41788946, 47667822, 53524472, 59359063, 65171760,
    70962727, 76732127, 82480119, 88206861, 93912510, 99597221,
    105261147, 110904439, 116527248, 122129720, 127712004, 133274243,
    138816582, 144339162, 149842123, 155325605, 160789745, 166234678,
    171660540, 177067464, 182455580, 187825021, 193175914, 198508387,
    203822568, 209118579, 214396547, 219656593, 224898838, 230123403,
    235330406, 240519966, 245692198, 250847217, 255985139, 261106076,
    266210140, 271297442, 276368091, 281422197, 286459866, 291481206,
    296486322, 301475318, 306448298, 311405365, 316346620, 321272163,
    326182094, 331076512, 335955515, 340819198, 345667659, 350500992,
    355319292, 360122651, 364911161, 369684916, 374444004, 379188516,
    383918541, 388634167, 393335482, 398022572, 402695522, 407354419,
    411999346, 416630387, 421247625, 425851141, 430441017, 435017333,
    439580170, 444129606, 448665721, 453188591, 457698295, 462194907,
    466678505, 471149164, 475606957, 480051958, 484484242, 488903879,
    493310944, 497705505, 502087636, 506457404, 510814881, 515160135,
    519493235, 523814247, 528123240, 532420280, 536705434, 540978766,
    545240343, 549490227, 553728484, 557955177, 562170369, 566374122,
    570566498, 574747559, 578917365, 583075977, 587223454, 591359857,
    595485245, 599599675, 603703206, 607795895, 611877800, 615948977,
    620009482, 624059372, 628098702, 632127526, 636145899, 640153876,
    644151509, 648138852, 652115958, 656082880, 660039669, 663986377,
    667923055, 671849754, 675766525, 679673417, 683570481, 687457765,
    691335319, 695203191, 699061430, 702910083, 706749198, 710578821,
    714399001, 718209782, 722011213, 725803337, 729586201, 733359849,
    737124328, 740879680, 744625950, 748363182, 752091420, 755810706,
    759521084, 763222596, 766915284, 770599191, 774274358, 777940826,
    781598636, 785247830, 788888447, 792520529, 796144114, 799759243,
    803365954, 806964288, 810554283, 814135977, 817709409, 821274616,
    824831638, 828380510, 831921270, 835453956, 838978603, 842495250,
    846003931, 849504682, 852997541, 856482541, 859959719, 863429109,
    866890746, 870344665, 873790900, 877229485, 880660455, 884083842,
    887499680, 890908002, 894308842, 897702233, 901088206, 904466794,
    907838029, 911201943, 914558569, 917907937, 921250078, 924585025,
    927912807, 931233455, 934547001, 937853474, 941152904, 944445322,
    947730757, 951009239, 954280797, 957545459, 960803257, 964054217,
    967298369, 970535741, 973766362, 976990259, 980207460, 983417994,
    986621888, 989819169, 993009864, 996194001, 999371606, 1002542706,
    1005707328, 1008865499, 1012017244, 1015162589, 1018301560, 1021434184,
    1024560486, 1027680491, 1030794225, 1033901713, 1037002979, 1040098049,
    1043186947, 1046269698, 1049346327, 1052416857, 1055481313, 1058539719,
    1061592098, 1064638475, 1067678872, 1070713314, 1073741824,
};

/* log2(x) for x >= 1 in Q.30 in a few dozen instructions (each countdown draw;
 * the squaring loop it replaced took about 400): the mantissa's top
 * 8 bits index log2_tab, the rest r = m / base in [1, 1 + 2^-8) adds
 * ln(1 + z)/ln 2 with z = r − 1 by three terms of its series (the fourth,
 * z^4/4 < 2^-34, is left out). Errs by less than 2^-27 in all. */
uint64_t hk_sample_log2_q30(uint64_t x)
{
    unsigned n = 63 - (unsigned)__builtin_clzll(x);
    uint64_t m = n >= 31 ? x >> (n - 31) : x << (31 - n); /* [2^31, 2^32) */
    uint64_t i = (m >> 23) - 256, base = (256 + i) << 23;
    uint64_t z = ((m - base) << 32) / base; /* Q.32, < 2^24 */
    uint64_t z2 = (z * z) >> 32, z3 = (z2 * z) >> 32;
    uint64_t ln = z - z2 / 2 + z3 / 3;      /* ln(1 + z), Q.32 */
    return ((uint64_t)n << 30) + log2_tab[i] + ((ln * INV_LN2_Q32) >> 34);
}

/* The next countdown: ceil(rate · −ln u) for u uniform in (0, 1), u = an odd
 * 64-bit draw / 2^64. The ceiling makes P(countdown <= s) = 1 − e^(−s/rate)
 * exactly at every integer s, so a block of s bytes is sampled with the
 * probability hk_sample_weight_fx inverts; the mean is rate + 1/2. −ln u <=
 * 64 ln 2 < 45, so the result is in [1, 45·rate], and at most HK_SAMPLE_MAX
 * (2^62: hk_sampler.left and the size subtracted from it stay in int64_t).
 * rate 0 and 1 mean every allocation: always 1. */
uint64_t hk_sample_next(uint64_t *state, uint64_t rate)
{
    if (rate <= 1)
        return 1;
    uint64_t x = hk_sample_rand(state) | 1;
    uint64_t nlog2 = (64ull << 30) - hk_sample_log2_q30(x);        /* −log2 u, Q.30 */
    uint64_t nln = (uint64_t)(((u128)nlog2 * LN2_Q32) >> 30);       /* −ln u, Q.32 */
    u128 c = ((u128)nln * rate + 0xffffffffu) >> 32;
    if (c < 1)
        c = 1;
    return c > HK_SAMPLE_MAX ? HK_SAMPLE_MAX : (uint64_t)c;
}

/* e^(−x) for 0 <= x < 16, x in Q.32, result in Q.62: e^(−x/64) by its Taylor
 * series (x/64 < 1/4: 16 terms leave less than 2^-60 of it), then squared six
 * times (which multiplies its relative error, about 2^-58, by 64). The terms
 * alternate and shrink, so the partial sums stay in (0, 1]. */
static uint64_t exp_neg_q62(uint64_t x_q32)
{
    uint64_t y = x_q32 << 24; /* x/64 in Q.62 */
    uint64_t t = 1ull << 62, e = 1ull << 62;
    for (unsigned k = 1; k <= 16 && t; k++) {
        t = (uint64_t)(((u128)t * y) >> 62) / k;
        e = (k & 1) ? e - t : e + t;
    }
    for (int i = 0; i < 6; i++)
        e = (uint64_t)(((u128)e * e) >> 62);
    return e;
}

/* The weight of a sample of `size` bytes: 1/(1 − e^(−x)), x = size/rate, in
 * HK_WEIGHT_ONE units (Q.16), rounded to nearest; saturates at UINT64_MAX
 * (rate/size above 2^48). Exactly HK_WEIGHT_ONE when rate <= 1 (every
 * allocation sampled) and for size >= 12·rate, where the weight is below
 * 1 + 2^-17. Size 0 counts as 1 byte, as in hk_sample_take.
 *   x < 1/4: 1/(1 − e^(−x)) = (1/x)·h(x), h(x) = x/(1 − e^(−x)) =
 *     1 + x/2 + x²/12 − x⁴/720 + x⁶/30240 − ... (Bernoulli numbers; the next
 *     term is below 2^-36), in Q.62 — no cancellation as x → 0;
 *   1/4 <= x < 12: 1 − e^(−x) >= 0.22 from exp_neg_q62.
 * Relative error below 10^-9 before the rounding to Q.16. */
uint64_t hk_sample_weight_fx(size_t size, uint64_t rate)
{
    if (rate <= 1)
        return HK_WEIGHT_ONE;
    if (size == 0)
        size = 1;
    if ((u128)size >= (u128)rate * 12)
        return HK_WEIGHT_ONE;
    if ((u128)size * 4 < rate) {
        uint64_t x = (uint64_t)(((u128)size << 62) / rate);    /* Q.62, < 2^60 */
        uint64_t x2 = (uint64_t)(((u128)x * x) >> 62);
        uint64_t x4 = (uint64_t)(((u128)x2 * x2) >> 62);
        uint64_t x6 = (uint64_t)(((u128)x4 * x2) >> 62);
        uint64_t h = (1ull << 62) + x / 2 + x2 / 12 - x4 / 720 + x6 / 30240;
        /* w·2^16 = h·2^-62 · rate/size · 2^16 */
        u128 den = (u128)size << 46;
        u128 w = ((u128)h * rate + den / 2) / den;
        return w > UINT64_MAX ? UINT64_MAX : (uint64_t)w;
    }
    uint64_t x = (uint64_t)(((u128)size << 32) / rate); /* Q.32, < 12·2^32 */
    uint64_t d = (1ull << 62) - exp_neg_q62(x);          /* 1 − e^(−x), Q.62 */
    return (uint64_t)((((u128)1 << 78) + d / 2) / d);
}

/* A sampler: seed its PRNG and draw the first countdown. */
void hk_sampler_init(struct hk_sampler *s, uint64_t seed, uint64_t rate)
{
    s->rng = seed;
    s->rate = rate;
    s->left = (int64_t)hk_sample_next(&s->rng, rate);
}

/* Count an allocation of `size` bytes (0 counts as 1: it gets a block); true
 * when it reaches the countdown, which is then drawn afresh. Invariant:
 * 1 <= left <= HK_SAMPLE_MAX between calls. */
bool hk_sample_take(struct hk_sampler *s, size_t size)
{
    HK_ASSERTF(s->left >= 1 && (uint64_t)s->left <= HK_SAMPLE_MAX, "sampler countdown %lld",
               (long long)s->left);
    int64_t n = size == 0 ? 1 : size > HK_SAMPLE_MAX ? (int64_t)HK_SAMPLE_MAX : (int64_t)size;
    s->left -= n;
    if (HK_LIKELY(s->left > 0))
        return false;
    s->left = (int64_t)hk_sample_next(&s->rng, s->rate);
    return true;
}
