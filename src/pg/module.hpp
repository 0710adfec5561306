// How PostgreSQL loaded this library (set once by _PG_init, src/hooks/init.cpp).
#pragma once

namespace strata::pg {

// True when the library was loaded through shared_preload_libraries (background jobs need it).
inline bool loaded_at_startup = false;

}  // namespace strata::pg
