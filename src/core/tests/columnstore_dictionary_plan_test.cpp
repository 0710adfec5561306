// Tests of streaming shared dictionaries: DictionaryPlanner decides from one pass over a group of
// a segment's rows whether a shared dictionary pays, and BatchBuilder::set_dictionary encodes the
// group's batches against it (batch by batch, as a streaming writer does).
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <random>
#include <string>
#include <vector>

#include "codec/codec.hpp"
#include "columnstore/batch_builder.hpp"
#include "error.hpp"

using namespace strata::core;
using namespace strata::core::codec;
using namespace strata::core::columnstore;

namespace {

std::string device_id(int i) {
  char buf[40];
  std::snprintf(buf, sizeof buf, "%08x-%04x-4%03x-8%03x-%012x", i * 2654435761u, i & 0xffff, i % 4096,
                (i * 7) % 4096, i * 40503u);
  return buf;
}

// A fleet-like segment: `devices` devices reporting `reports` times, rows in (time, device) order;
// std::nullopt is a NULL.
std::vector<std::optional<std::string>> fleet_rows(int first_device, int devices, int reports, int null_every) {
  std::vector<std::optional<std::string>> rows;
  for (int t = 0; t < reports; ++t)
    for (int d = 0; d < devices; ++d) {
      if (null_every && (t + d) % null_every == 0)
        rows.emplace_back();
      else
        rows.emplace_back(device_id(first_device + d));
    }
  return rows;
}

struct Encoded {
  size_t bytes = 0;        // batches' column bytes, plus the dictionary's serialized bytes
  size_t batches = 0;
  size_t shared = 0;       // batches encoded against the shared dictionary
  bool planned = false;
};

// Encodes `rows` as a streaming writer would: plans the dictionary over the whole group, then
// appends and finishes batch by batch; checks every batch decodes to the rows.
Encoded stream(ColumnType type, const std::vector<std::optional<std::string>>& rows, bool plan) {
  Encoded out;
  std::optional<Dictionary> dict;
  if (plan) {
    DictionaryPlanner p(type);
    for (const auto& r : rows) r ? p.add(*r) : p.add_null();
    dict = p.finish();
  }
  BatchBuilder b({{ColumnType::Timestamp}, {type}});
  if (dict) {
    b.set_dictionary(1, &*dict);
    out.planned = true;
    out.bytes += dict->serialize().size();
  }
  size_t first = 0;
  auto flush = [&] {
    const Batch& batch = b.finish();
    const EncodedColumn& e = batch.columns[1];
    out.bytes += e.data.size();
    ++out.batches;
    if (e.uses_shared_dictionary) {
      ++out.shared;
      EXPECT_EQ(inspect_column(e.data).dictionary_id, dict->id());
    } else {
      EXPECT_EQ(inspect_column(e.data).dictionary_id, 0u);
    }
    DecodedColumn d = decode_column(e.data, type, e.uses_shared_dictionary ? &*dict : nullptr);
    EXPECT_EQ(d.rows, batch.rows);
    for (size_t r = 0; r < batch.rows; ++r) {
      const auto& want = rows[first + r];
      EXPECT_EQ(d.is_null(r), !want.has_value()) << "row " << first + r;
      if (want) {
        // (uuid values decode into the fixed-width buffer, 16 bytes a row)
        const std::string_view got = type == ColumnType::Uuid
                                         ? std::string_view(reinterpret_cast<const char*>(d.fixed.data()) + r * 16, 16)
                                         : d.string_at(r);
        EXPECT_EQ(got, *want) << "row " << first + r;
      }
    }
    first += batch.rows;
  };
  for (size_t i = 0; i < rows.size(); ++i) {
    b.append_int(0, static_cast<int64_t>(i));
    if (rows[i])
      b.append_bytes(1, *rows[i]);
    else
      b.append_null(1);
    b.end_row();
    if (b.full()) flush();
  }
  if (b.rows()) flush();
  EXPECT_EQ(first, rows.size());
  return out;
}

// The same rows through the builder's segment mode (the whole segment held, encoded both ways).
size_t segment_mode_bytes(ColumnType type, const std::vector<std::optional<std::string>>& rows) {
  BatchBuilder b({{type, false, true}});
  for (const auto& r : rows) {
    r ? b.append_bytes(0, *r) : b.append_null(0);
    b.end_row();
    if (b.full()) b.finish_batch();
  }
  const Segment& seg = b.finish_segment();
  size_t bytes = 0;
  for (const Batch& batch : seg.batches) bytes += batch.columns[0].data.size();
  for (const SharedDictionary& d : seg.dictionaries) bytes += d.serialized.size();
  return bytes;
}

std::string uuid_bytes(int i) {
  std::string s = device_id(i);
  std::string out;
  for (size_t k = 0; k < s.size() && out.size() < 16; ++k) {
    if (s[k] == '-') continue;
    const int hi = std::stoi(s.substr(k, 1), nullptr, 16), lo = std::stoi(s.substr(k + 1, 1), nullptr, 16);
    out.push_back(static_cast<char>(hi * 16 + lo));
    ++k;
  }
  return out;
}

}  // namespace

TEST(ColumnstoreDictionaryPlan, FleetDevicesShareOneDictionary) {
  // 100 devices reporting 30 times: 3 batches, each meeting every device
  const auto rows = fleet_rows(0, 100, 30, 17);
  const Encoded without = stream(ColumnType::Varlen, rows, false);
  const Encoded with = stream(ColumnType::Varlen, rows, true);
  EXPECT_FALSE(without.planned);
  ASSERT_TRUE(with.planned);
  EXPECT_EQ(with.batches, 3u);
  EXPECT_EQ(with.shared, 3u);
  EXPECT_LT(with.bytes, without.bytes * 6 / 10);
  // within a tenth of what holding the whole segment and trying both ways gives
  EXPECT_LE(with.bytes, segment_mode_bytes(ColumnType::Varlen, rows) * 11 / 10);
}

TEST(ColumnstoreDictionaryPlan, PlannerEstimates) {
  DictionaryPlanner p(ColumnType::Varlen, 10);
  for (int r = 0; r < 30; ++r) p.add(std::string(20, static_cast<char>('a' + r % 5)));
  // 3 batches of 10 rows, each meeting the 5 values: 5 * 20 bytes per batch on their own
  EXPECT_EQ(p.rows(), 30u);
  EXPECT_EQ(p.distinct(), 5u);
  EXPECT_EQ(p.local_bytes(), 300u);
  // shared: the 5 values once and an 8-byte id per batch, codes as wide as the batches' own
  EXPECT_EQ(p.shared_bytes(), 100u + 24u);
  std::optional<Dictionary> d = p.finish();
  ASSERT_TRUE(d.has_value());
  ASSERT_EQ(d->size(), 5u);
  EXPECT_EQ(d->entry(0), std::string(20, 'a'));  // order of first appearance
  EXPECT_EQ(d->entry(4), std::string(20, 'e'));
  // reset: a new group
  p.reset();
  EXPECT_EQ(p.rows(), 0u);
  EXPECT_EQ(p.distinct(), 0u);
  EXPECT_FALSE(p.finish().has_value());
  // NULLs count for the batch boundaries only
  for (int r = 0; r < 25; ++r) r % 2 ? p.add_null() : p.add("x");
  EXPECT_EQ(p.rows(), 25u);
  EXPECT_EQ(p.distinct(), 1u);
  EXPECT_EQ(p.local_bytes(), 3u);
  // past the values searched in order (16), the same counts through the hash table
  DictionaryPlanner q(ColumnType::Varlen, 40);
  for (int r = 0; r < 120; ++r) q.add("value-" + std::to_string(r % 40));
  EXPECT_EQ(q.distinct(), 40u);
  size_t bytes = 0;
  for (int v = 0; v < 40; ++v) bytes += ("value-" + std::to_string(v)).size();
  EXPECT_EQ(q.local_bytes(), 3 * bytes);
  std::optional<Dictionary> d40 = q.finish();
  ASSERT_TRUE(d40.has_value());
  EXPECT_EQ(d40->size(), 40u);
  EXPECT_EQ(d40->entry(17), "value-17");
}

TEST(ColumnstoreDictionaryPlan, RefusedWhenItCannotPay) {
  // one batch only
  EXPECT_FALSE(stream(ColumnType::Varlen, fleet_rows(0, 100, 5, 0), true).planned);
  // every value distinct: each batch's values are its own
  std::vector<std::optional<std::string>> distinct;
  std::mt19937_64 rng(3);
  for (int r = 0; r < 3000; ++r) distinct.emplace_back(std::to_string(rng()));
  EXPECT_FALSE(stream(ColumnType::Varlen, distinct, true).planned);
  // every row NULL
  EXPECT_FALSE(stream(ColumnType::Varlen, std::vector<std::optional<std::string>>(2500), true).planned);
  // devices that each report in one batch only (a new set of devices every batch): each value
  // is met once in all, so a shared dictionary saves nothing
  std::vector<std::optional<std::string>> turnover;
  for (int b = 0; b < 4; ++b) {
    const auto part = fleet_rows(b * 1000, 100, 10, 0);
    turnover.insert(turnover.end(), part.begin(), part.end());
  }
  EXPECT_FALSE(stream(ColumnType::Varlen, turnover, true).planned);
}

TEST(ColumnstoreDictionaryPlan, RefusedPastTheSizeCap) {
  // Two large values repeated in every batch would pay, but their dictionary is over the cap: the
  // batches keep their own (a shared dictionary may never fail a compression that would succeed).
  const std::string a(9u << 20, 'a'), b(9u << 20, 'b'), c(1u << 20, 'c');
  DictionaryPlanner big(ColumnType::Varlen, 2);
  for (int r = 0; r < 6; ++r) big.add(r % 2 ? b : a);
  EXPECT_GT(big.local_bytes(), 2 * big.shared_bytes());
  EXPECT_FALSE(big.finish().has_value());
  DictionaryPlanner small(ColumnType::Varlen, 2);
  for (int r = 0; r < 6; ++r) small.add(r % 2 ? c : std::string_view(c).substr(1));
  EXPECT_TRUE(small.finish().has_value());
}

TEST(ColumnstoreDictionaryPlan, UuidColumn) {
  std::vector<std::optional<std::string>> rows;
  for (int r = 0; r < 5000; ++r) {
    if (r % 11 == 0)
      rows.emplace_back();
    else
      rows.emplace_back(uuid_bytes(r % 50));
  }
  const Encoded without = stream(ColumnType::Uuid, rows, false);
  const Encoded with = stream(ColumnType::Uuid, rows, true);
  ASSERT_TRUE(with.planned);
  EXPECT_EQ(with.shared, 5u);
  EXPECT_LT(with.bytes, without.bytes);
  DictionaryPlanner p(ColumnType::Uuid);
  EXPECT_THROW(p.add("short"), Error);
}

TEST(ColumnstoreDictionaryPlan, BatchWithValuesMissingFromTheDictionary) {
  // The dictionary covers the first group only; a batch holding other values is encoded on its own
  // (and decodes without the dictionary), then batch-local again after set_dictionary(nullptr).
  const auto group = fleet_rows(0, 100, 20, 0);
  DictionaryPlanner p(ColumnType::Varlen);
  for (const auto& r : group) p.add(*r);
  std::optional<Dictionary> d = p.finish();
  ASSERT_TRUE(d.has_value());
  BatchBuilder b({{ColumnType::Varlen}});
  b.set_dictionary(0, &*d);
  EXPECT_EQ(b.dictionary(0), &*d);
  for (int r = 0; r < 1000; ++r) {
    b.append_bytes(0, *group[static_cast<size_t>(r)]);
    b.end_row();
  }
  EXPECT_TRUE(b.finish().columns[0].uses_shared_dictionary);
  for (int r = 0; r < 1000; ++r) {
    b.append_bytes(0, device_id(5000 + r % 100));
    b.end_row();
  }
  {
    const EncodedColumn& e = b.finish().columns[0];
    EXPECT_FALSE(e.uses_shared_dictionary);
    DecodedColumn col = decode_column(e.data, ColumnType::Varlen);
    EXPECT_EQ(col.string_at(999), device_id(5099));
  }
  b.set_dictionary(0, nullptr);
  EXPECT_EQ(b.dictionary(0), nullptr);
  for (int r = 0; r < 1000; ++r) {
    b.append_bytes(0, *group[static_cast<size_t>(r)]);
    b.end_row();
  }
  EXPECT_FALSE(b.finish().columns[0].uses_shared_dictionary);
}

TEST(ColumnstoreDictionaryPlan, Errors) {
  const std::string_view v[] = {"a", "b"};
  const Dictionary text = Dictionary::build(ColumnType::Varlen, v);
  BatchBuilder b({{ColumnType::Int64}, {ColumnType::Uuid}, {ColumnType::Varlen, false, true}, {ColumnType::Varlen}});
  EXPECT_THROW(b.set_dictionary(0, &text), Error);   // not a varlen or uuid column
  EXPECT_THROW(b.set_dictionary(1, &text), Error);   // a dictionary of another type
  EXPECT_THROW(b.set_dictionary(2, &text), Error);   // segment mode plans its own
  EXPECT_THROW(b.set_dictionary(4, &text), Error);   // out of range
  EXPECT_THROW(b.dictionary(4), Error);
  EXPECT_NO_THROW(b.set_dictionary(3, &text));
  EXPECT_THROW(DictionaryPlanner(ColumnType::Int64), Error);
  EXPECT_THROW(DictionaryPlanner(ColumnType::Varlen, 0), Error);
  EXPECT_THROW(DictionaryPlanner(ColumnType::Varlen, 1000, 1.0), Error);
}

TEST(ColumnstoreDictionaryPlan, SerializedId) {
  const std::string a = device_id(1), b = device_id(2);
  const std::string_view v[] = {a, b};
  const Dictionary d = Dictionary::build(ColumnType::Varlen, v);
  const std::vector<uint8_t> bytes = d.serialize();
  EXPECT_EQ(Dictionary::serialized_id(bytes), d.id());
  EXPECT_THROW(Dictionary::serialized_id(std::span<const uint8_t>(bytes.data(), 5)), Error);
  std::vector<uint8_t> bad = bytes;
  bad[0] = 99;  // an unknown version
  EXPECT_THROW(Dictionary::serialized_id(bad), Error);
}
