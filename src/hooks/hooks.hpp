// The top layer: _PG_init (init.cpp) and the hook dispatcher (hooks.cpp). It includes every
// subsystem; nothing includes it but its own files.
#pragma once

namespace strata::hooks {

// Installs every PostgreSQL hook and callback strata uses, each exactly once; from _PG_init.
void install_hooks();

}  // namespace strata::hooks
