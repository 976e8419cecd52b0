#ifndef VIGIL_CYAML_SHIM_H
#define VIGIL_CYAML_SHIM_H
#include <yaml.h>
#endif
