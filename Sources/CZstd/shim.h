#ifndef VIGIL_CZSTD_SHIM_H
#define VIGIL_CZSTD_SHIM_H
#include <zstd.h>
#endif
