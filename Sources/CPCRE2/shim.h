// PCRE2 with 8-bit code units (UTF-8). Swift cannot call the width-generic macros (pcre2_compile), so the code
// calls the _8 functions they expand to.
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
