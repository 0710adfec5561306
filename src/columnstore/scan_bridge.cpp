// The ColumnarScan's C++ state: decoded columns per batch slot, shared dictionaries and the batch
// filter (see scan_bridge.hpp). No PostgreSQL headers here.
#include "columnstore/scan_bridge.hpp"

#include <algorithm>
#include <memory>
#include <new>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "codec/codec.hpp"
#include "columnstore/bloom.hpp"
#include "columnstore/filter.hpp"
#include "error.hpp"

namespace strata::columnstore {

namespace codec = core::codec;
namespace cs = core::columnstore;

int guc_dictionary_cache_size = 8192;

namespace {

struct Slot {
  std::vector<codec::DecodedColumn> columns;
  std::vector<uint64_t> selection;
  uint64_t rows = 0;
  uint64_t selected = 0;  // the rows `selection` keeps (bridge_filter's count)
  // Predicate columns filtered on their encoded bytes (bridge_prefilter) in the current batch,
  // and their rows that match.
  std::vector<uint8_t> prefiltered;
  std::vector<std::vector<uint64_t>> matches;
  // Columns holding the selected rows alone (codec::decode_selected_rows) in the current batch.
  std::vector<uint8_t> dense;
};

}  // namespace

struct ScanBridge {
  std::vector<codec::ColumnType> types;
  std::vector<Slot> slots;
  std::unique_ptr<cs::BatchFilter> filter;  // null without predicates
  // The companion table the scan reads (its OID; 0 unknown): the backend's decoded shared
  // dictionaries are kept per companion (dictionary_cache).
  uint32_t relation = 0;
  // Shared dictionaries by id: the serialized bytes as added, decoded at the first batch that
  // needs one (a segment's dictionary rows hold every column's; a query reads a few columns), or
  // taken decoded from the backend's cache.
  struct SharedDictionary {
    std::vector<uint8_t> bytes;
    std::shared_ptr<const codec::Dictionary> dict;
  };
  std::unordered_map<uint64_t, SharedDictionary> dictionaries;
  std::vector<const codec::DecodedColumn*> filter_columns;
  // Per column: the constants when every predicate on it is a Varlen equality or IN (one of
  // them, for a single predicate), evaluated on the encoded bytes where the codec allows.
  std::vector<std::vector<std::string_view>> equal_values;
};

namespace {

// The decoding state (zstd's decompression context) of every bridge of the backend: created at
// the first zstd-compressed column and kept, as zstd recommends. A context per bridge (per scan,
// so per query) cost a fresh allocation of ~100 KB and its page faults each time: 7.5% of the
// backend's time in a short ordered LIMIT query (fleet device-recent-rows). Decoding is
// synchronous and keeps nothing in it between calls; a backend decodes on one thread.
codec::CodecContext& decode_context() {
  static codec::CodecContext context;
  return context;
}

// The shared dictionaries this backend decoded, by (companion OID, dictionary id), kept across
// scans: a query that opens one batch would otherwise read its segment's dictionary rows,
// deserialize and index every dictionary its columns use (six for fleet device-recent-rows,
// 585 device ids among them) and free them again: ~140k instructions per query, more than the
// batch's own decoding. A dictionary is immutable and its id is the hash of its entries, checked
// when it was deserialized, so an entry stays right for as long as its companion exists; entries
// of a companion (kept together) go at its relcache invalidation (dropped, truncated, rewritten,
// analyzed: bridge_forget_dictionaries). The cache holds at most strata.dictionary_cache_size:
// past it, the companions used least recently go first (then the current one's other entries).
// Scans hold their dictionaries by shared_ptr, so an entry dropped mid-scan lives until the scan
// ends. One cache per backend process (a backend decodes on one thread).
struct DictionaryCache {
  struct Entry {
    std::shared_ptr<const codec::Dictionary> dict;
    size_t serialized_len;  // the length of the dictionary row's bytes it was decoded from
  };
  struct Relation {
    std::unordered_map<uint64_t, Entry> by_id;
    size_t bytes = 0;
    uint64_t used = 0;  // the cache's use counter at the companion's last use
  };
  std::unordered_map<uint32_t, Relation> relations;  // by companion OID
  size_t bytes = 0;
  uint64_t uses = 0;
};

DictionaryCache& dictionary_cache() {
  static DictionaryCache cache;
  return cache;
}

size_t cache_limit() { return guc_dictionary_cache_size <= 0 ? 0 : size_t(guc_dictionary_cache_size) * 1024; }

// Roughly the memory a decoded dictionary holds: its entries, their offsets and its lookup table.
size_t dictionary_bytes(const codec::Dictionary& d) {
  size_t total = 64 + d.size() * (sizeof(uint32_t) + 48);
  for (size_t i = 0; i < d.size(); ++i) total += d.entry(i).size();
  return total;
}

// Makes room for `bytes` more under `limit`, the companions used least recently first (the one
// being added to last).
void evict(DictionaryCache& c, uint32_t relation, size_t bytes, size_t limit) {
  while (c.bytes + bytes > limit && !c.relations.empty()) {
    auto victim = c.relations.end();
    for (auto it = c.relations.begin(); it != c.relations.end(); ++it)
      if (it->first != relation && (victim == c.relations.end() || it->second.used < victim->second.used))
        victim = it;
    if (victim == c.relations.end()) victim = c.relations.find(relation);
    c.bytes -= std::min(c.bytes, victim->second.bytes);
    c.relations.erase(victim);
  }
}

// Best effort: out of memory, the dictionary is simply not kept.
void cache_dictionary(uint32_t relation, const std::shared_ptr<const codec::Dictionary>& d,
                      size_t serialized_len) noexcept {
  const size_t limit = cache_limit();
  if (relation == 0 || limit == 0) return;
  try {
    DictionaryCache& c = dictionary_cache();
    const size_t bytes = dictionary_bytes(*d);
    if (bytes > limit / 4) return;  // (a huge dictionary is not worth evicting the others for)
    evict(c, relation, bytes, limit);
    DictionaryCache::Relation& r = c.relations[relation];
    r.used = ++c.uses;
    auto [it, added] = r.by_id.emplace(d->id(), DictionaryCache::Entry{d, serialized_len});
    if (added) {
      r.bytes += bytes;
      c.bytes += bytes;
    } else {  // (the same entries from bytes of another length, say another format version)
      it->second = DictionaryCache::Entry{d, serialized_len};
    }
  } catch (const std::bad_alloc&) {
  }
}

// The cached entry of dictionary `id` of the companion, or nullptr.
const DictionaryCache::Entry* cached_dictionary(uint32_t relation, uint64_t id) {
  DictionaryCache& c = dictionary_cache();
  if (c.relations.empty()) return nullptr;
  if (const size_t limit = cache_limit(); c.bytes > limit) {  // (the setting was lowered)
    evict(c, 0, 0, limit);
    if (limit == 0) return nullptr;
  }
  auto r = c.relations.find(relation);
  if (r == c.relations.end()) return nullptr;
  auto it = r->second.by_id.find(id);
  if (it == r->second.by_id.end()) return nullptr;
  r->second.used = ++c.uses;
  return &it->second;
}

void init_slot(const ScanBridge& b, Slot& s) {
  s.columns.resize(b.types.size());
  for (size_t i = 0; i < b.types.size(); ++i) s.columns[i].type = b.types[i];
  s.prefiltered.assign(b.types.size(), 0);
  s.dense.assign(b.types.size(), 0);
  s.matches.resize(b.types.size());
}

// The columns whose predicates can all run on encoded plain strings: a single equality or IN on a
// Varlen column (two predicates on one column are left to the filter of decoded values).
void find_equal_values(ScanBridge& b) {
  b.equal_values.assign(b.types.size(), {});
  std::vector<int> count(b.types.size(), 0);
  for (const cs::FilterPredicate& p : b.filter->predicates()) count[p.column]++;
  for (const cs::FilterPredicate& p : b.filter->predicates()) {
    if (count[p.column] != 1 || p.type != codec::ColumnType::Varlen || (p.op != cs::FilterOp::Eq && p.op != cs::FilterOp::In))
      continue;
    for (const std::string& v : p.bytes) b.equal_values[p.column].emplace_back(v);
  }
}

Slot& slot_of(ScanBridge* b, int slot) {
  if (slot < 0 || static_cast<size_t>(slot) >= b->slots.size())
    throw core::Error(core::Errc::invalid_argument, "columnar scan: batch slot out of range");
  return b->slots[slot];
}

const Slot& slot_of(const ScanBridge* b, int slot) { return slot_of(const_cast<ScanBridge*>(b), slot); }

// The last bridge the backend destroyed, kept for its next scan with the buffers of its decoded
// columns (their capacity): a short query (fleet device-recent-rows: one batch) otherwise
// allocates and frees a bridge and a dozen column buffers each time, fresh memory its decoding
// then writes. Kept only while its buffers hold at most kSpareBytes; it holds no dictionary,
// filter or value of the scan it served.
constexpr size_t kSpareBytes = size_t{1} << 20;

std::unique_ptr<ScanBridge>& spare_bridge() {
  static std::unique_ptr<ScanBridge> spare;
  return spare;
}

size_t buffer_bytes(const ScanBridge& b) {
  size_t total = 0;
  for (const Slot& s : b.slots) {
    total += s.selection.capacity() * sizeof(uint64_t);
    for (const std::vector<uint64_t>& m : s.matches) total += m.capacity() * sizeof(uint64_t);
    for (const codec::DecodedColumn& c : s.columns)
      total += c.validity.capacity() + c.fixed.capacity() + c.offsets.capacity() * sizeof(uint32_t) +
               c.data.capacity() + c.codes.capacity() * sizeof(uint32_t) +
               c.dict_offsets.capacity() * sizeof(uint32_t) + c.dict_data.capacity() + c.scratch.capacity();
  }
  return total;
}

}  // namespace

ScanBridge* bridge_create(int ncolumns, const int* types, int nslots, int npredicates,
                          const BridgePredicate* predicates) {
  std::unique_ptr<ScanBridge> b = std::move(spare_bridge());
  if (!b) b = std::make_unique<ScanBridge>();
  b->types.clear();
  b->types.reserve(ncolumns);
  for (int i = 0; i < ncolumns; ++i) b->types.push_back(static_cast<codec::ColumnType>(types[i]));
  if (npredicates > 0) {
    std::vector<cs::FilterPredicate> preds;
    preds.reserve(npredicates);
    for (int i = 0; i < npredicates; ++i) {
      const BridgePredicate& p = predicates[i];
      if (p.column < 0 || p.column >= ncolumns)
        throw core::Error(core::Errc::invalid_argument, "columnar scan: predicate column out of range");
      cs::FilterPredicate fp;
      fp.column = static_cast<size_t>(p.column);
      fp.type = static_cast<codec::ColumnType>(p.type);
      fp.op = static_cast<cs::FilterOp>(p.op);
      for (int k = 0; k < p.nvalues; ++k) {
        if (p.ints != nullptr) fp.ints.push_back(p.ints[k]);
        if (p.floats != nullptr) fp.floats.push_back(p.floats[k]);
        if (p.bytes != nullptr)
          fp.bytes.emplace_back(reinterpret_cast<const char*>(p.bytes[k]), p.lens[k]);
      }
      preds.push_back(std::move(fp));
    }
    b->filter = std::make_unique<cs::BatchFilter>(std::move(preds));
    find_equal_values(*b);
  }
  b->slots.resize(nslots > 0 ? nslots : 1);
  for (Slot& s : b->slots) init_slot(*b, s);
  return b.release();
}

void bridge_destroy(ScanBridge* bridge) noexcept {
  std::unique_ptr<ScanBridge> b(bridge);
  if (!b || spare_bridge() || buffer_bytes(*b) > kSpareBytes) return;  // (freed)
  b->filter.reset();
  b->relation = 0;
  b->dictionaries.clear();
  b->filter_columns.clear();
  b->equal_values.clear();
  for (Slot& s : b->slots)
    for (codec::DecodedColumn& c : s.columns) c.clear();
  spare_bridge() = std::move(b);
}

void bridge_reserve_slots(ScanBridge* bridge, int nslots) {
  if (nslots <= 0 || static_cast<size_t>(nslots) <= bridge->slots.size()) return;
  const size_t old = bridge->slots.size();
  bridge->slots.resize(nslots);
  for (size_t i = old; i < bridge->slots.size(); ++i) init_slot(*bridge, bridge->slots[i]);
}

void bridge_set_relation(ScanBridge* bridge, uint32_t relation) { bridge->relation = relation; }

void bridge_forget_dictionaries(uint32_t relation) noexcept {
  DictionaryCache& c = dictionary_cache();
  if (c.relations.empty()) return;
  if (relation == 0) {
    c.relations.clear();
    c.bytes = 0;
    return;
  }
  auto r = c.relations.find(relation);
  if (r == c.relations.end()) return;
  c.bytes -= std::min(c.bytes, r->second.bytes);
  c.relations.erase(r);
}

void bridge_add_dictionary(ScanBridge* bridge, const uint8_t* data, size_t len) {
  const uint64_t id = codec::Dictionary::serialized_id(std::span<const uint8_t>(data, len));
  if (bridge->dictionaries.count(id)) return;
  ScanBridge::SharedDictionary& sd = bridge->dictionaries[id];
  // (the cached copy when it was decoded from as many bytes: otherwise the row is deserialized
  // and its id checked against its contents)
  const DictionaryCache::Entry* cached = cached_dictionary(bridge->relation, id);
  if (cached != nullptr && cached->serialized_len == len)
    sd.dict = cached->dict;
  else
    sd.bytes.assign(data, data + len);
}

namespace {

// The shared dictionary a column's bytes were encoded against (nullptr for none), decoded at the
// first batch that needs it; `missing` when the bridge was not given it (its segment's dictionary
// rows are not loaded yet).
const codec::Dictionary* dictionary_of(ScanBridge* bridge, const codec::ColumnInfo& info, bool* missing) {
  *missing = false;
  if (info.dictionary_id == 0) return nullptr;
  auto it = bridge->dictionaries.find(info.dictionary_id);
  if (it == bridge->dictionaries.end()) {
    // (decoded by an earlier scan of this companion: its dictionary rows need not be read)
    const DictionaryCache::Entry* cached = cached_dictionary(bridge->relation, info.dictionary_id);
    if (cached == nullptr) {
      *missing = true;
      return nullptr;
    }
    it = bridge->dictionaries.emplace(info.dictionary_id, ScanBridge::SharedDictionary{{}, cached->dict}).first;
  }
  ScanBridge::SharedDictionary& sd = it->second;
  if (!sd.dict) {
    codec::DecodeOptions options;
    options.context = &decode_context();
    auto dict = std::make_shared<const codec::Dictionary>(codec::Dictionary::deserialize(sd.bytes, options));
    if (dict->id() != info.dictionary_id)
      throw core::Error(core::Errc::data_corrupted, "columnar scan: a shared dictionary's id does not match its contents");
    sd.dict = std::move(dict);
    cache_dictionary(bridge->relation, sd.dict, sd.bytes.size());
    sd.bytes = std::vector<uint8_t>();
  }
  return sd.dict.get();
}

codec::DecodedColumn& column_of(Slot& s, int col) {
  if (col < 0 || static_cast<size_t>(col) >= s.columns.size())
    throw core::Error(core::Errc::invalid_argument, "columnar scan: column out of range");
  return s.columns[col];
}

}  // namespace

uint64_t bridge_decode(ScanBridge* bridge, int slot, int col, const uint8_t* data, size_t len) {
  Slot& s = slot_of(bridge, slot);
  codec::DecodedColumn& out = column_of(s, col);
  s.prefiltered[col] = 0;
  s.dense[col] = 0;
  const std::span<const uint8_t> bytes(data, len);
  bool missing;
  const codec::Dictionary* dictionary = dictionary_of(bridge, codec::inspect_column(bytes), &missing);
  if (missing) return kMissingDictionary;
  codec::DecodeOptions options;
  options.context = &decode_context();
  codec::decode_column_into(bytes, bridge->types[col], out, dictionary, options);
  s.rows = out.rows;
  return s.rows;
}

uint64_t bridge_decode_selected(ScanBridge* bridge, int slot, int col, const uint8_t* data, size_t len) {
  Slot& s = slot_of(bridge, slot);
  codec::DecodedColumn& out = column_of(s, col);
  s.prefiltered[col] = 0;
  const std::span<const uint8_t> bytes(data, len);
  const codec::ColumnInfo info = codec::inspect_column(bytes);
  if (s.selection.size() < (info.rows + 63) / 64)
    throw core::Error(core::Errc::data_corrupted, "columnar scan: a batch's columns disagree on its row count");
  bool missing;
  const codec::Dictionary* dictionary = dictionary_of(bridge, info, &missing);
  if (missing) return kMissingDictionary;
  codec::DecodeOptions options;
  options.context = &decode_context();
  // (the selected rows alone where the column allows: no batch-sized array written)
  s.dense[col] = 0;
  if (codec::decode_selected_rows(bytes, bridge->types[col], out, s.selection, dictionary, options)) {
    // (the scan addresses the column by a rank below bridge_filter's count)
    if (info.rows != s.rows || out.rows != s.selected)
      throw core::Error(core::Errc::data_corrupted, "columnar scan: a batch's columns disagree on its row count");
    s.dense[col] = 1;
    return info.rows;
  }
  codec::decode_column_rows_into(bytes, bridge->types[col], out, s.selection, dictionary, options);
  return out.rows;
}

bool bridge_prefilter(ScanBridge* bridge, int slot, int col, const uint8_t* data, size_t len, uint64_t* rows) {
  Slot& s = slot_of(bridge, slot);
  codec::DecodedColumn& out = column_of(s, col);
  s.prefiltered[col] = 0;
  s.dense[col] = 0;
  if (bridge->equal_values.empty() || bridge->equal_values[col].empty()) return false;
  codec::DecodeOptions options;
  options.context = &decode_context();
  const std::span<const uint8_t> bytes(data, len);
  if (!codec::select_equal_strings(bytes, bridge->equal_values[col], s.matches[col], out, options)) return false;
  s.prefiltered[col] = 1;
  *rows = out.rows;
  return true;
}

void bridge_set_rows(ScanBridge* bridge, int slot, uint64_t rows) { slot_of(bridge, slot).rows = rows; }

uint64_t bridge_filter(ScanBridge* bridge, int slot, uint64_t rows) {
  Slot& s = slot_of(bridge, slot);
  s.rows = rows;
  const size_t words = (rows + 63) / 64;
  if (!bridge->filter) {
    s.selection.assign(words, ~uint64_t{0});
    if (rows % 64 != 0 && words > 0) s.selection[words - 1] = (uint64_t{1} << (rows % 64)) - 1;
    s.selected = rows;
    return rows;
  }
  // (the prefiltered columns' predicates ran on their encoded values: their matches are used)
  bridge->filter_columns.clear();
  for (const codec::DecodedColumn& c : s.columns) bridge->filter_columns.push_back(&c);
  for (const cs::FilterPredicate& p : bridge->filter->predicates())
    if (s.columns[p.column].rows != rows || (s.prefiltered[p.column] && s.matches[p.column].size() != words))
      throw core::Error(core::Errc::data_corrupted, "columnar scan: a batch's columns disagree on its row count");
  const std::vector<uint64_t>& sel = bridge->filter->evaluate(bridge->filter_columns, s.prefiltered, s.matches);
  s.selection.assign(sel.begin(), sel.end());
  s.selection.resize(words, 0);
  s.selected = cs::count_selected(s.selection);
  return s.selected;
}

const uint64_t* bridge_selection(const ScanBridge* bridge, int slot) {
  return slot_of(bridge, slot).selection.data();
}

void bridge_column(const ScanBridge* bridge, int slot, int col, BridgeColumn* out) {
  const Slot& s = slot_of(bridge, slot);
  const codec::DecodedColumn& c = s.columns.at(col);
  out->rows = c.rows;
  out->validity = c.validity.empty() ? nullptr : c.validity.data();
  out->fixed = c.type == codec::ColumnType::Varlen ? nullptr : c.fixed.data();
  out->dense = s.dense[col];
  out->codes = out->entry_offsets = out->offsets = nullptr;
  out->bytes = nullptr;
  if (c.type != codec::ColumnType::Varlen) return;
  if (c.dictionary_form()) {
    out->codes = c.codes.data();
    if (c.external != nullptr) {
      out->entry_offsets = c.external->entry_offsets();
      out->bytes = reinterpret_cast<const uint8_t*>(c.external->entry_data());
    } else {
      out->entry_offsets = c.dict_offsets.data();
      out->bytes = c.dict_data.data();
    }
  } else if (c.offsets.size() == c.rows + 1) {
    out->offsets = c.offsets.data();
    out->bytes = c.data.data();
  }
}

bool bridge_dense(const ScanBridge* bridge, int slot, int col) { return slot_of(bridge, slot).dense.at(col) != 0; }

bool bridge_bytes(const ScanBridge* bridge, int slot, int col, uint64_t row, const uint8_t** data, size_t* len) {
  const codec::DecodedColumn& c = slot_of(bridge, slot).columns.at(col);
  if (row >= c.rows)
    throw core::Error(core::Errc::data_corrupted, "columnar scan: row out of range of a decoded column");
  if (c.is_null(row)) return false;
  if (c.type == codec::ColumnType::Uuid) {
    *data = c.fixed.data() + row * 16;
    *len = 16;
    return true;
  }
  const std::string_view v = c.string_at(row);
  *data = reinterpret_cast<const uint8_t*>(v.data());
  *len = v.size();
  return true;
}

bool bridge_codes(const ScanBridge* bridge, int slot, int col, const uint32_t** codes, uint64_t* nentries) {
  const Slot& s = slot_of(bridge, slot);
  const codec::DecodedColumn& c = s.columns.at(col);
  if (c.type != codec::ColumnType::Varlen || !c.dictionary_form() || s.dense[col]) return false;
  *codes = c.codes.data();
  *nentries = c.external != nullptr ? c.external->size() : (c.dict_offsets.empty() ? 0 : c.dict_offsets.size() - 1);
  return true;
}

void bridge_entry(const ScanBridge* bridge, int slot, int col, uint32_t code, const uint8_t** data, size_t* len) {
  const codec::DecodedColumn& c = slot_of(bridge, slot).columns.at(col);
  std::string_view v;
  if (c.external != nullptr) {
    if (code >= c.external->size())
      throw core::Error(core::Errc::data_corrupted, "columnar scan: dictionary code out of range");
    v = c.external->entry(code);
  } else {
    if (static_cast<size_t>(code) + 1 >= c.dict_offsets.size())
      throw core::Error(core::Errc::data_corrupted, "columnar scan: dictionary code out of range");
    v = std::string_view(reinterpret_cast<const char*>(c.dict_data.data()) + c.dict_offsets[code],
                         c.dict_offsets[code + 1] - c.dict_offsets[code]);
  }
  *data = reinterpret_cast<const uint8_t*>(v.data());
  *len = v.size();
}

bool bridge_bloom_may_contain(const uint8_t* data, size_t len, int nhashes, const uint64_t* hashes) {
  const cs::BloomFilter filter = cs::BloomFilter::deserialize(std::span<const uint8_t>(data, len));
  for (int i = 0; i < nhashes; ++i)
    if (filter.might_contain(hashes[i])) return true;
  return false;
}

}  // namespace strata::columnstore
