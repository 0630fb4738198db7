/* sizeclass.c — the size classes: size → class by a table (tiny) or by
 * arithmetic (mid), and each class's block size and blocks per slab. */
#include "internal.h"

/* Class of a size n <= 1024 is hk_class_of8[(n + 7) / 8]; malloc(0) gets class 0. */
const uint8_t hk_class_of8[HK_TINY_MAX / 8 + 1] = {
    0, 0, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6, 7, 7, 8,
    8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11, 12, 12, 12,
    12, 13, 13, 13, 13, 13, 13, 13, 13, 14, 14, 14, 14, 14, 14, 14,
    14, 15, 15, 15, 15, 15, 15, 15, 15, 16, 16, 16, 16, 16, 16, 16,
    16, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17, 17,
    17, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18, 18,
    18, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19, 19,
    19, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20, 20,
    20,
};

/* 21 tiny classes (8 B..1 KiB; class 2 is 32 B), 24 mid classes (to 64 KiB). */
const uint32_t hk_class_size[HK_CLASSES] = {
    8, 16, 32, 48, 64, 80, 96, 112, 128, 160, 192, 224,
    256, 320, 384, 448, 512, 640, 768, 896, 1024, 1280, 1536, 1792,
    2048, 2560, 3072, 3584, 4096, 5120, 6144, 7168, 8192, 10240, 12288, 14336,
    16384, 20480, 24576, 28672, 32768, 40960, 49152, 57344, 65536,
};

/* Blocks per 64 KiB slab. */
const uint16_t hk_class_capacity[HK_CLASSES] = {
    8192, 4096, 2048, 1365, 1024, 819, 682, 585, 512, 409, 341, 292,
    256, 204, 170, 146, 128, 102, 85, 73, 64, 51, 42, 36,
    32, 25, 21, 18, 16, 12, 10, 9, 8, 6, 5, 4,
    4, 3, 2, 2, 2, 1, 1, 1, 1,
};

/* Mid classes: four per doubling above 1 KiB. For n in (2^b, 2^(b+1)] the
 * step is 2^(b-2) and the class is the step count rounded up. */
unsigned hk_mid_class(size_t n)
{
    unsigned b = 63u - (unsigned)__builtin_clzll((unsigned long long)(n - 1));
    size_t step = (size_t)1 << (b - 2);
    unsigned k = (unsigned)((n - ((size_t)1 << b) + step - 1) >> (b - 2));
    return HK_TINY_CLASSES + (b - 10) * 4 + k - 1;
}
