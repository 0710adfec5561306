// Weak default hook installers for subsystems that are developed on other branches; a real
// definition elsewhere replaces these at link time.
#include "pg/init.hpp"

namespace strata {

__attribute__((weak)) void planner_init() {}
__attribute__((weak)) void ddl_init() {}

}  // namespace strata
