#ifndef VIGIL_CPOSTGRES_SHIM_H
#define VIGIL_CPOSTGRES_SHIM_H
#include <postgresql/libpq-fe.h>
#endif
