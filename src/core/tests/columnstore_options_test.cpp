// Tests of columnstore option parsing (names, segmentby / orderby / sparse index lists, booleans).
#include <gtest/gtest.h>

#include <functional>
#include <string>
#include <vector>

#include "columnstore/options.hpp"

using namespace strata::core;
using namespace strata::core::columnstore;

namespace {

// Runs f, which must throw an OptionError, and returns it.
OptionError error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const OptionError& e) {
    return e;
  }
  ADD_FAILURE() << "no OptionError thrown";
  return OptionError(OptionErrorKind::syntax, "", 0, "");
}

}  // namespace

TEST(ColumnstoreOptions, NameSpellings) {
  for (const char* n : {"timescaledb.compress", "timescaledb.enable_columnstore", "timescaledb.columnstore",
                        "strata.compress", "compress", "STRATA.Columnstore"})
    EXPECT_EQ(find_option(n), OptionName::compress) << n;
  for (const char* n : {"timescaledb.compress_segmentby", "timescaledb.segmentby", "strata.segment_by", "segmentby"})
    EXPECT_EQ(find_option(n), OptionName::segmentby) << n;
  for (const char* n : {"timescaledb.compress_orderby", "timescaledb.orderby", "strata.order_by", "order_by"})
    EXPECT_EQ(find_option(n), OptionName::orderby) << n;
  for (const char* n : {"timescaledb.compress_index", "timescaledb.sparse_index", "strata.sparse_index"})
    EXPECT_EQ(find_option(n), OptionName::sparse_index) << n;
  EXPECT_EQ(find_option("timescaledb.compress_chunk_time_interval"), OptionName::chunk_time_interval);
  for (const char* n : {"timescaledb.", "timescaledb.fillfactor", "fillfactor", "other.compress", "compress_", ""})
    EXPECT_EQ(find_option(n), std::nullopt) << n;
  OptionError e = error_of([] { parse_option_name("timescaledb.compress_segment"); });
  EXPECT_EQ(e.kind(), OptionErrorKind::unknown_option);
  EXPECT_EQ(e.code(), Errc::invalid_argument);
  EXPECT_STREQ(e.what(), "unrecognized columnstore option \"timescaledb.compress_segment\"");
  EXPECT_STREQ(option_label(parse_option_name("segment_by")), "compress_segmentby");
}

TEST(ColumnstoreOptions, BooleansAsPostgres) {
  for (const char* t : {"true", "TRUE", "t", "tr", "tru", "yes", "y", "YE", "on", "ON", "1"})
    EXPECT_EQ(try_parse_bool(t), true) << t;
  for (const char* f : {"false", "f", "fal", "FALSE", "no", "n", "off", "of", "OFF", "0"})
    EXPECT_EQ(try_parse_bool(f), false) << f;
  for (const char* bad : {"", "o", "truex", "yess", "onn", "offf", "2", "10", "00", " true", "true ", "nope", "-1"})
    EXPECT_EQ(try_parse_bool(bad), std::nullopt) << bad;
  OptionError e = error_of([] { parse_bool("maybe", "timescaledb.compress"); });
  EXPECT_EQ(e.kind(), OptionErrorKind::invalid_value);
  EXPECT_STREQ(e.what(), "invalid value for boolean option \"timescaledb.compress\": \"maybe\"");
}

TEST(ColumnstoreOptions, SegmentbyIdentifiers) {
  EXPECT_EQ(parse_segmentby(""), std::vector<std::string>{});
  EXPECT_EQ(parse_segmentby("  \t\n"), std::vector<std::string>{});
  EXPECT_EQ(parse_segmentby("device_id"), std::vector<std::string>{"device_id"});
  EXPECT_EQ(parse_segmentby(" Device_ID ,\tRegion$2,_x "), (std::vector<std::string>{"device_id", "region$2", "_x"}));
  EXPECT_EQ(parse_segmentby("\"Device ID\", \"a\"\"b\",\",\""),
            (std::vector<std::string>{"Device ID", "a\"b", ","}));
  // quoted and unquoted spellings of the same name are the same column
  OptionError e = error_of([] { parse_segmentby("a, \"a\""); });
  EXPECT_EQ(e.kind(), OptionErrorKind::duplicate);
  EXPECT_EQ(e.offset(), 3u);
  EXPECT_EQ(e.token(), "\"a\"");
  EXPECT_STREQ(e.what(), "invalid compress_segmentby value: column \"a\" appears more than once at or near "
                         "\"\"a\"\" (offset 3)");
  EXPECT_EQ(parse_segmentby("\"A\", a"), (std::vector<std::string>{"A", "a"}));
  // UTF-8 letters are identifier characters, kept as they are
  EXPECT_EQ(parse_segmentby("caf\xc3\xa9"), std::vector<std::string>{"caf\xc3\xa9"});
}

TEST(ColumnstoreOptions, SegmentbySyntaxErrors) {
  struct Case {
    const char* value;
    size_t offset;
    const char* token;
    const char* message;
  };
  const Case cases[] = {
      {"a,", 2, "", "invalid compress_segmentby value: expected a column name at the end of the value (offset 2)"},
      {",a", 0, ",", "invalid compress_segmentby value: expected a column name at or near \",\" (offset 0)"},
      {"a b", 2, "b",
       "invalid compress_segmentby value: expected \",\" or the end of the list at or near \"b\" (offset 2)"},
      {"a,,b", 2, ",", "invalid compress_segmentby value: expected a column name at or near \",\" (offset 2)"},
      {"1a", 0, "1", "invalid compress_segmentby value: unexpected character at or near \"1\" (offset 0)"},
      {"a, \"b", 3, "\"b", "invalid compress_segmentby value: unterminated quoted identifier at or near \"\"b\" (offset 3)"},
      {"\"\"", 0, "\"\"", "invalid compress_segmentby value: zero-length quoted identifier at or near \"\"\"\" (offset 0)"},
      {"a;drop", 1, ";", "invalid compress_segmentby value: unexpected character at or near \";\" (offset 1)"},
      {"f(a)", 1, "(", "invalid compress_segmentby value: expected \",\" or the end of the list at or near \"(\" (offset 1)"},
  };
  for (const Case& c : cases) {
    OptionError e = error_of([&] { parse_segmentby(c.value); });
    EXPECT_EQ(e.kind(), OptionErrorKind::syntax) << c.value;
    EXPECT_EQ(e.offset(), c.offset) << c.value;
    EXPECT_EQ(e.token(), c.token) << c.value;
    EXPECT_STREQ(e.what(), c.message) << c.value;
  }
}

TEST(ColumnstoreOptions, OrderbyDirectionsAndNullsDefaults) {
  using V = std::vector<OrderByItem>;
  EXPECT_EQ(parse_orderby(""), V{});
  EXPECT_EQ(parse_orderby("time"), (V{{"time", false, false}}));
  EXPECT_EQ(parse_orderby("time DESC"), (V{{"time", true, true}}));
  EXPECT_EQ(parse_orderby("time asc"), (V{{"time", false, false}}));
  EXPECT_EQ(parse_orderby("time desc nulls last, \"Val\" nulls first, x ASC NULLS LAST"),
            (V{{"time", true, false}, {"Val", false, true}, {"x", false, false}}));
  // quoted keywords are column names
  EXPECT_EQ(parse_orderby("\"desc\" desc"), (V{{"desc", true, true}}));
  EXPECT_EQ(parse_orderby("a\n\tDeSc\n,b"), (V{{"a", true, true}, {"b", false, false}}));
}

TEST(ColumnstoreOptions, OrderbyErrors) {
  struct Case {
    const char* value;
    OptionErrorKind kind;
    size_t offset;
    const char* message;
  };
  const Case cases[] = {
      {"a desc asc", OptionErrorKind::syntax, 7,
       "invalid compress_orderby value: expected NULLS, \",\" or the end of the list at or near \"asc\" (offset 7)"},
      {"a nulls", OptionErrorKind::syntax, 7,
       "invalid compress_orderby value: expected FIRST or LAST after NULLS at the end of the value (offset 7)"},
      {"a nulls middle", OptionErrorKind::syntax, 8,
       "invalid compress_orderby value: expected FIRST or LAST after NULLS at or near \"middle\" (offset 8)"},
      {"a nulls first desc", OptionErrorKind::syntax, 14,
       "invalid compress_orderby value: expected \",\" or the end of the list at or near \"desc\" (offset 14)"},
      {"a b", OptionErrorKind::syntax, 2,
       "invalid compress_orderby value: expected ASC, DESC, NULLS, \",\" or the end of the list at or near \"b\" "
       "(offset 2)"},
      {"a, b desc, A", OptionErrorKind::duplicate, 11,
       "invalid compress_orderby value: column \"a\" appears more than once at or near \"A\" (offset 11)"},
      {"a desc,", OptionErrorKind::syntax, 7,
       "invalid compress_orderby value: expected a column name at the end of the value (offset 7)"},
  };
  for (const Case& c : cases) {
    OptionError e = error_of([&] { parse_orderby(c.value); });
    EXPECT_EQ(e.kind(), c.kind) << c.value;
    EXPECT_EQ(e.offset(), c.offset) << c.value;
    EXPECT_STREQ(e.what(), c.message) << c.value;
  }
}

TEST(ColumnstoreOptions, SparseIndexList) {
  using V = std::vector<SparseIndexItem>;
  EXPECT_EQ(parse_sparse_index(" "), V{});
  EXPECT_EQ(parse_sparse_index("minmax(a)"), (V{{SparseIndexKind::minmax, "a"}}));
  EXPECT_EQ(parse_sparse_index(" BLOOM ( \"Dev\" ) ,MinMax(b), bloom(b)"),
            (V{{SparseIndexKind::bloom, "Dev"}, {SparseIndexKind::minmax, "b"}, {SparseIndexKind::bloom, "b"}}));
  struct Case {
    const char* value;
    OptionErrorKind kind;
    size_t offset;
    const char* message;
  };
  const Case cases[] = {
      {"hash(a)", OptionErrorKind::syntax, 0,
       "invalid sparse_index value: expected minmax(column) or bloom(column) at or near \"hash\" (offset 0)"},
      {"\"bloom\"(a)", OptionErrorKind::syntax, 0,
       "invalid sparse_index value: expected minmax(column) or bloom(column) at or near \"\"bloom\"\" (offset 0)"},
      {"bloom a", OptionErrorKind::syntax, 6, "invalid sparse_index value: expected \"(\" at or near \"a\" (offset 6)"},
      {"bloom(a", OptionErrorKind::syntax, 7,
       "invalid sparse_index value: expected \")\" at the end of the value (offset 7)"},
      {"bloom()", OptionErrorKind::syntax, 6,
       "invalid sparse_index value: expected a column name at or near \")\" (offset 6)"},
      {"bloom(a, b)", OptionErrorKind::syntax, 7,
       "invalid sparse_index value: expected \")\" at or near \",\" (offset 7)"},
      {"bloom(a) minmax(a)", OptionErrorKind::syntax, 9,
       "invalid sparse_index value: expected \",\" or the end of the list at or near \"minmax\" (offset 9)"},
      {"minmax(a), MINMAX(\"a\")", OptionErrorKind::duplicate, 11,
       "invalid sparse_index value: minmax index on column \"a\" appears more than once at or near \"MINMAX\" "
       "(offset 11)"},
  };
  for (const Case& c : cases) {
    OptionError e = error_of([&] { parse_sparse_index(c.value); });
    EXPECT_EQ(e.kind(), c.kind) << c.value;
    EXPECT_EQ(e.offset(), c.offset) << c.value;
    EXPECT_STREQ(e.what(), c.message) << c.value;
  }
}
