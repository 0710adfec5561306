// Planted violations for scripts/check-boundary.sh --self-test: a hook and a callback installed
// outside src/hooks. Never compiled.
static planner_hook_type prev_planner = nullptr;

void install() {
  prev_planner = planner_hook;
  planner_hook = my_planner;
  RegisterXactCallback(my_xact_callback, nullptr);
}
