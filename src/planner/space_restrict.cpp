// Exclusion on a hypertable's hash dimension (space partitioning): equality with constants on the
// hash column keeps only the chunks whose hash slice holds the constants' hashes at plan time;
// equality with parameters and stable expressions becomes RuntimeClauses for ChunkAppend.
#include "planner/restrict.hpp"

#include "pg/pg.hpp"

extern "C" {
#include "access/hash.h"
#include "access/stratnum.h"
#include "catalog/pg_collation.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/lsyscache.h"
#include "utils/typcache.h"
}

namespace strata {

namespace {

// A set of partition hashes; `all` when unrestricted.
struct HashSet {
  bool all;
  int n;
  int64* h;
};

bool is_space_var(Node* n, Index relid, AttrNumber attno) {
  while (n != nullptr && IsA(n, RelabelType)) n = reinterpret_cast<Node*>(reinterpret_cast<RelabelType*>(n)->arg);
  return n != nullptr && IsA(n, Var) && reinterpret_cast<Var*>(n)->varno == static_cast<int>(relid) &&
         reinterpret_cast<Var*>(n)->varattno == attno && reinterpret_cast<Var*>(n)->varlevelsup == 0;
}

struct SpaceColumn {
  Index relid;
  AttrNumber attno;
  Oid type;
  Oid collation;
  Oid hash_opfamily;
};

// Whether `opno` (under collation `inputcollid`) is an equality whose equal values hash alike with
// the column's hash function: a member of the column type's hash operator family, and a collation
// that equates only what the column's collation hashes alike.
bool usable_equality(const SpaceColumn& col, Oid opno, Oid inputcollid) {
  if (!OidIsValid(col.hash_opfamily) || !op_in_opfamily(opno, col.hash_opfamily)) return false;
  if (OidIsValid(inputcollid) && inputcollid != col.collation && !get_collation_isdeterministic(inputcollid))
    return false;
  return true;
}

// The partition hash of a constant of type `type` compared with the column (the hash operator
// family hashes equal values of its member types alike), or false when there is no function.
bool hash_of(const SpaceColumn& col, Datum value, Oid type, int64* out) {
  Oid proc = get_opfamily_proc(col.hash_opfamily, type, type, HASHEXTENDED_PROC);
  if (!OidIsValid(proc)) return false;
  FmgrInfo f;
  fmgr_info(proc, &f);
  *out = space_hash_value(&f, col.collation, value, false);
  return true;
}

void add(HashSet* s, int64 h, int cap) {
  for (int i = 0; i < s->n; ++i)
    if (s->h[i] == h) return;
  if (s->n < cap) s->h[s->n++] = h;
}

// The hashes one restriction clause allows.
HashSet hashes_of_clause(const SpaceColumn& col, Expr* clause) {
  HashSet all{true, 0, nullptr};
  if (IsA(clause, OpExpr)) {
    auto* op = reinterpret_cast<OpExpr*>(clause);
    if (list_length(op->args) != 2) return all;
    Node* l = static_cast<Node*>(linitial(op->args));
    Node* r = static_cast<Node*>(lsecond(op->args));
    if (!is_space_var(l, col.relid, col.attno)) {
      Node* t = l;
      l = r;
      r = t;
    }
    if (!is_space_var(l, col.relid, col.attno) || !IsA(r, Const)) return all;
    if (!usable_equality(col, op->opno, op->inputcollid)) return all;
    auto* c = reinterpret_cast<Const*>(r);
    HashSet s{false, 0, static_cast<int64*>(palloc(sizeof(int64)))};
    if (c->constisnull) return s;  // `col = NULL` matches nothing
    int64 h;
    if (!hash_of(col, c->constvalue, c->consttype, &h)) return all;
    s.h[s.n++] = h;
    return s;
  }
  if (IsA(clause, ScalarArrayOpExpr)) {
    auto* sa = reinterpret_cast<ScalarArrayOpExpr*>(clause);
    if (!sa->useOr || list_length(sa->args) != 2) return all;
    Node* l = static_cast<Node*>(linitial(sa->args));
    Node* r = static_cast<Node*>(lsecond(sa->args));
    if (!is_space_var(l, col.relid, col.attno) || !IsA(r, Const)) return all;
    if (!usable_equality(col, sa->opno, sa->inputcollid)) return all;
    auto* c = reinterpret_cast<Const*>(r);
    HashSet s{false, 0, static_cast<int64*>(palloc(sizeof(int64)))};
    if (c->constisnull) return s;
    ArrayType* arr = DatumGetArrayTypeP(c->constvalue);
    const Oid elem = ARR_ELEMTYPE(arr);
    int16 typlen;
    bool typbyval;
    char typalign;
    get_typlenbyvalalign(elem, &typlen, &typbyval, &typalign);
    Datum* values;
    bool* nulls;
    int n;
    deconstruct_array(arr, elem, typlen, typbyval, typalign, &values, &nulls, &n);
    s.h = static_cast<int64*>(palloc(sizeof(int64) * (n > 0 ? n : 1)));
    for (int i = 0; i < n; ++i) {
      if (nulls[i]) continue;
      int64 h;
      if (!hash_of(col, values[i], elem, &h)) return all;
      add(&s, h, n);
    }
    return s;
  }
  return all;
}

// `col = value` / `col = ANY (array)` with a value for executor start (not a Const): a
// RuntimeClause, or nullptr.
RuntimeClause* runtime_clause_of(const SpaceColumn& col, Expr* clause) {
  Oid opno;
  Oid inputcollid;
  Node* l;
  Node* r;
  bool is_array = false;
  if (IsA(clause, OpExpr)) {
    auto* op = reinterpret_cast<OpExpr*>(clause);
    if (list_length(op->args) != 2) return nullptr;
    opno = op->opno;
    inputcollid = op->inputcollid;
    l = static_cast<Node*>(linitial(op->args));
    r = static_cast<Node*>(lsecond(op->args));
    if (!is_space_var(l, col.relid, col.attno)) {
      Node* t = l;
      l = r;
      r = t;
    }
  } else if (IsA(clause, ScalarArrayOpExpr)) {
    auto* sa = reinterpret_cast<ScalarArrayOpExpr*>(clause);
    if (!sa->useOr || list_length(sa->args) != 2) return nullptr;
    opno = sa->opno;
    inputcollid = sa->inputcollid;
    l = static_cast<Node*>(linitial(sa->args));
    r = static_cast<Node*>(lsecond(sa->args));
    is_array = true;
  } else {
    return nullptr;
  }
  if (!is_space_var(l, col.relid, col.attno) || IsA(r, Const)) return nullptr;
  if (!usable_equality(col, opno, inputcollid)) return nullptr;
  const Oid type = is_array ? get_element_type(exprType(r)) : exprType(r);
  if (!OidIsValid(type)) return nullptr;
  const Oid proc = get_opfamily_proc(col.hash_opfamily, type, type, HASHEXTENDED_PROC);
  if (!OidIsValid(proc)) return nullptr;
  bool exec_param = false;
  if (!runtime_value_usable(r, nullptr, &exec_param)) return nullptr;
  auto* rc = static_cast<RuntimeClause*>(palloc0(sizeof(RuntimeClause)));
  rc->strategy = BTEqualStrategyNumber;
  rc->is_array = is_array;
  rc->use_or = is_array;
  rc->value_type = type;
  rc->value = reinterpret_cast<Expr*>(r);
  rc->exec_time = exec_param;
  rc->hash_proc = proc;
  rc->hash_collation = col.collation;
  return rc;
}

HashSet intersect(HashSet a, HashSet b) {
  if (a.all) return b;
  if (b.all) return a;
  HashSet r{false, 0, static_cast<int64*>(palloc(sizeof(int64) * (a.n > 0 ? a.n : 1)))};
  for (int i = 0; i < a.n; ++i)
    for (int j = 0; j < b.n; ++j)
      if (a.h[i] == b.h[j]) {
        r.h[r.n++] = a.h[i];
        break;
      }
  return r;
}

bool space_column_of(RelOptInfo* rel, const Hypertable* ht, SpaceColumn* col) {
  if (ht->num_partitions <= 0 || ht->space_attno == InvalidAttrNumber) return false;
  *col = SpaceColumn{rel->relid, ht->space_attno, ht->space_type, ht->space_collation, InvalidOid};
  col->hash_opfamily = lookup_type_cache(ht->space_type, TYPECACHE_HASH_OPFAMILY)->hash_opf;
  return OidIsValid(col->hash_opfamily);
}

}  // namespace

List* space_runtime_clauses(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht) {
  SpaceColumn col;
  if (!space_column_of(rel, ht, &col)) return NIL;
  List* out = NIL;
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    auto* ri = static_cast<RestrictInfo*>(lfirst(lc));
    if (ri->pseudoconstant) continue;
    RuntimeClause* rc = runtime_clause_of(col, ri->clause);
    if (rc != nullptr) out = lappend(out, rc);
  }
  return out;
}

List* space_filter_chunks(PlannerInfo* root, RelOptInfo* rel, const Hypertable* ht, List* chunks) {
  SpaceColumn col;
  if (chunks == NIL || !space_column_of(rel, ht, &col)) return chunks;
  HashSet set{true, 0, nullptr};
  ListCell* lc;
  foreach (lc, rel->baserestrictinfo) {
    auto* ri = static_cast<RestrictInfo*>(lfirst(lc));
    if (ri->pseudoconstant) continue;
    set = intersect(set, hashes_of_clause(col, ri->clause));
  }
  if (set.all) return chunks;
  List* kept = NIL;
  foreach (lc, chunks) {
    auto* c = static_cast<ChunkInfo*>(lfirst(lc));
    for (int i = 0; i < set.n; ++i)
      if (set.h[i] >= c->space_start && set.h[i] < c->space_end) {
        kept = lappend(kept, c);
        break;
      }
  }
  return kept;
}

}  // namespace strata
