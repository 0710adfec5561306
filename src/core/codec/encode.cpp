// encode_column: gathers the non-null values and their statistics, builds a body with every
// candidate codec (with and without a zstd stage) and frames the smallest. The encoder's choices
// are described in docs/FORMAT.md, "Encoder (non-normative)".
#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <type_traits>

#include "codec/float_codec.hpp"
#include "codec/frame.hpp"
#include "codec/int_codec.hpp"
#include "codec/internal.hpp"
#include "codec/string_codec.hpp"

namespace strata::core::codec {

namespace {

struct Gathered {
  size_t rows = 0, m = 0;
  std::vector<int64_t> ints;
  std::vector<uint64_t, UninitializedAllocator<uint64_t>> bits;  // every slot written by gather
  std::vector<std::string_view> strs;
  std::vector<int64_t> valid01;  // only when there are nulls
};

Gathered gather(ColumnType type, const ColumnView& col, ColumnStats& st) {
  Gathered g;
  g.rows = col.rows;
  const bool has_validity = col.validity != nullptr;
  auto is_valid = [&](size_t i) { return !has_validity || bit_at(col.validity, i); };
  size_t valid = 0;
  if (has_validity) {
    g.valid01.resize(col.rows);
    for (size_t i = 0; i < col.rows; ++i) valid += (g.valid01[i] = is_valid(i));
  } else {
    valid = col.rows;
  }
  g.m = valid;
  st.rows = col.rows;
  st.null_count = col.rows - valid;
  if (int_like(type)) {
    g.ints.reserve(valid);
    int64_t mn = INT64_MAX, mx = INT64_MIN;
    for (size_t i = 0; i < col.rows; ++i) {
      if (!is_valid(i)) continue;
      int64_t v = 0;
      switch (type) {
        case ColumnType::Int16: { int16_t x; std::memcpy(&x, static_cast<const uint8_t*>(col.fixed) + 2 * i, 2); v = x; break; }
        case ColumnType::Int32: case ColumnType::Date: { int32_t x; std::memcpy(&x, static_cast<const uint8_t*>(col.fixed) + 4 * i, 4); v = x; break; }
        case ColumnType::Bool: {
          uint8_t x = static_cast<const uint8_t*>(col.fixed)[i];
          if (x > 1) bad_arg("bool values must be 0 or 1");
          v = x;
          break;
        }
        default: std::memcpy(&v, static_cast<const uint8_t*>(col.fixed) + 8 * i, 8);
      }
      mn = std::min(mn, v);
      mx = std::max(mx, v);
      g.ints.push_back(v);
    }
    if (valid) {
      st.has_minmax = true;
      st.min_int = mn;
      st.max_int = mx;
    }
  } else if (float_like(type)) {
    const bool f4 = type == ColumnType::Float4;
    g.bits.resize(valid);
    uint64_t* out = g.bits.data();
    const uint8_t* in = static_cast<const uint8_t*>(col.fixed);
    // The loads have a constant size per loop, so they compile to plain moves.
    auto fill = [&](auto width) {
      size_t k = 0;
      for (size_t i = 0; i < col.rows; ++i) {
        if (!is_valid(i)) continue;
        uint64_t b = 0;
        if constexpr (decltype(width)::value == 4) {
          uint32_t u;
          std::memcpy(&u, in + 4 * i, 4);
          b = u;
        } else {
          std::memcpy(&b, in + 8 * i, 8);
        }
        out[k++] = b;
      }
    };
    if (f4) fill(std::integral_constant<int, 4>{});
    else fill(std::integral_constant<int, 8>{});
    // NaN compares false, so it never replaces a bound; a column of NaNs keeps min > max. (The
    // first of equal bounds is kept, as -0.0 and 0.0 compare equal.)
    double mn = std::numeric_limits<double>::infinity(), mx = -mn;
    bool any = false;
    for (size_t k = 0; k < valid; ++k) {
      const double d = bits_to_double(out[k], f4);
      mn = d < mn ? d : mn;
      mx = d > mx ? d : mx;
      any |= d == d;
    }
    if (any) {
      st.has_minmax = true;
      st.min_float = mn;
      st.max_float = mx;
    }
  } else {
    g.strs.reserve(valid);
    std::string_view mn, mx;
    uint64_t total_bytes = 0;
    for (size_t i = 0; i < col.rows; ++i) {
      if (!is_valid(i)) continue;
      std::string_view s;
      if (type == ColumnType::Uuid) {
        s = std::string_view(static_cast<const char*>(col.fixed) + 16 * i, 16);
      } else {
        s = col.varlen[i];
        total_bytes += s.size();
        if (total_bytes > kMaxValueBytes) bad_arg("batch column larger than kMaxValueBytes");
      }
      if (g.strs.empty()) {
        mn = mx = s;
      } else if (s < mn) {  // (mn <= mx: a value below mn is not above mx)
        mn = s;
      } else if (s > mx) {
        mx = s;
      }
      g.strs.push_back(s);
    }
    if (valid) {
      st.has_minmax = true;
      st.min_bytes = std::string(mn);
      st.max_bytes = std::string(mx);
    }
  }
  return g;
}

// Builds a body for codec c, or returns false when c does not apply to these values.
// shape / chosen: the integer tree's shape to plan and the one written (Integer, Alp, and the codes
// of Dictionary and ExtDictionary). alp_near / alp_out: Alp's exponent to search near, and the one
// it chose.
bool build_body(ColumnType type, Codec c, const Gathered& g, const EncodeOptions& o, bool byte_aligned,
                bool forced, ByteWriter& w, const IntShape* shape = nullptr, IntShape* chosen = nullptr,
                int alp_near = -1, int* alp_out = nullptr) {
  const bool f4 = type == ColumnType::Float4;
  const size_t width = fixed_width(type);
  switch (c) {
    case Codec::Integer: {
      IntEncodeOptions io{byte_aligned};
      io.plan_only = shape;
      io.chosen = chosen;
      encode_ints(w, g.ints, io);
      return true;
    }
    case Codec::Alp:
      return encode_alp(w, g.bits, f4, byte_aligned, forced, shape, chosen, alp_near, alp_out);
    case Codec::FloatXor:
      encode_xor(w, g.bits, f4 ? 32 : 64);
      return true;
    case Codec::Plain:
      if (type == ColumnType::Uuid) {
        for (auto s : g.strs) w.bytes(s.data(), 16);
      } else {
        for (uint64_t b : g.bits) w.bytes(&b, width);
      }
      return true;
    case Codec::ByteSplit:
      encode_byte_split(w, g.bits, width);
      return true;
    case Codec::Dictionary:
      return encode_dictionary(w, type, g.strs, byte_aligned, forced, shape, chosen);
    case Codec::ExtDictionary:
      return encode_ext_dictionary(w, o.dictionary, g.strs, byte_aligned, forced, shape, chosen);
    case Codec::UuidText:
      return encode_uuid_text(w, g.strs, forced);
    case Codec::VarPlain:
      write_plain_strings(w, g.strs);
      return true;
    case Codec::Constant: {
      // applies only when every value is identical (forced or not)
      const bool same = int_like(type)     ? all_equal<int64_t>(g.ints)
                        : float_like(type) ? all_equal<uint64_t>(g.bits)
                                           : all_equal<std::string_view>(g.strs);
      if (!same) {
        if (forced) bad_arg("Constant codec needs identical values");
        return false;
      }
      if (int_like(type)) {
        w.svarint(g.ints[0]);
      } else if (float_like(type)) {
        w.bytes(&g.bits[0], width);
      } else {
        if (type == ColumnType::Varlen) w.varint(g.strs[0].size());
        w.bytes(g.strs[0].data(), g.strs[0].size());
      }
      return true;
    }
    case Codec::Auto:
    case Codec::AllNull:
      break;
  }
  return false;
}

std::vector<Codec> candidates_for(ColumnType t) {
  if (int_like(t)) return {Codec::Constant, Codec::Integer};
  if (float_like(t)) return {Codec::Constant, Codec::Alp, Codec::FloatXor, Codec::Plain, Codec::ByteSplit};
  if (t == ColumnType::Uuid) return {Codec::Constant, Codec::ExtDictionary, Codec::Dictionary, Codec::Plain};
  return {Codec::Constant, Codec::ExtDictionary, Codec::Dictionary, Codec::UuidText, Codec::VarPlain};
}

// Codecs whose packed integers feed zstd better when byte-aligned.
bool has_aligned_variant(Codec c) {
  return c == Codec::Integer || c == Codec::Alp || c == Codec::Dictionary || c == Codec::ExtDictionary;
}

}  // namespace

std::vector<uint8_t> encode_column(ColumnType type, const ColumnView& col, const EncodeOptions& o,
                                   ColumnStats* stats_out) {
  if (!valid_type(static_cast<uint8_t>(type))) bad_arg("unknown column type");
  if (col.rows > kMaxRows) bad_arg("too many rows in one batch");
  if (col.rows > 0) {
    if (type == ColumnType::Varlen ? col.varlen == nullptr : col.fixed == nullptr) bad_arg("missing values");
  }
  if (o.force_codec != Codec::Auto && !codec_allowed(type, o.force_codec))
    bad_arg("codec not applicable to this column type");
  if (o.dictionary && o.dictionary->type() != type) bad_arg("dictionary type does not match column type");
  ColumnStats st;
  Gathered g = gather(type, col, st);
  if (o.force_codec == Codec::AllNull && g.m > 0) bad_arg("AllNull codec needs a column with no values");

  Codec best_codec = Codec::AllNull;
  std::vector<uint8_t> best_body;
  bool best_z = false;
  bool best_aligned = false;
  size_t best_raw = 0;
  IntShape best_shape;
  ContextRef zctx(o.context);

  if (g.m > 0 && o.force_codec != Codec::AllNull) {
    const bool forced = o.force_codec != Codec::Auto;
    size_t best_size = SIZE_MAX;
    auto consider = [&](Codec c, std::vector<uint8_t>&& body, bool z, size_t raw, bool aligned,
                        const IntShape& shape = IntShape{}) {
      const size_t size = body.size() + (z ? varint_size(raw) + varint_size(body.size()) : 0);
      // A zstd stage costs a fixed decompression overhead, so it must save zstd_min_gain of the
      // bytes to be chosen. Auto (< 0): dictionary codes decode at memory speed, so there zstd must
      // save 40%; elsewhere any saving counts.
      const double gain = o.zstd_min_gain >= 0
                              ? std::min(o.zstd_min_gain, 0.9)
                              : (c == Codec::Dictionary || c == Codec::ExtDictionary ? 0.4 : 0.0);
      const size_t score = z ? static_cast<size_t>(static_cast<double>(size) / (1.0 - gain)) : size;
      if (score < best_size) {
        best_size = score;
        best_codec = c;
        best_body = std::move(body);
        best_z = z;
        best_raw = raw;
        best_aligned = aligned;
        best_shape = shape;
      }
    };
    // Trial encodings are pruned where they cannot win in practice (docs/FORMAT.md, "Encoder"):
    // decimal-like floats (Alp's body is at most a quarter of the raw values) are not tried as
    // Plain / ByteSplit, Plain never gets a zstd
    // stage, and Alp's byte-aligned variant is tried only when zstd found redundancy in its
    // packed body.
    bool alp_applied = false;
    int trial_alp_exp = -1;  // Alp's exponent in the trial (the same in each variant)
    // Every variant of codec c: packed and (where it has one) byte-aligned, each with and without
    // a zstd stage.
    auto try_codec = [&](Codec c) {
      bool zstd_gained = false;
      for (int aligned = 0; aligned < 2; ++aligned) {
        if (aligned && (!o.allow_zstd || !has_aligned_variant(c))) continue;
        if (aligned && !forced && c == Codec::Alp && !zstd_gained) continue;
        ByteWriter w;
        IntShape shape;
        if (!build_body(type, c, g, o, aligned != 0, forced, w, nullptr, &shape, -1,
                        c == Codec::Alp ? &trial_alp_exp : nullptr))
          return;
        std::vector<uint8_t> body = std::move(w.buf());
        const size_t raw = body.size();
        if (c == Codec::Alp && raw * 4 <= g.m * fixed_width(type)) alp_applied = true;
        // zstd last stage, kept only where it pays
        if (o.allow_zstd && raw >= 32 && (forced || c != Codec::Plain)) {
          std::vector<uint8_t> z = zstd_compress(zctx.get(), body.data(), raw, o.zstd_level);
          if (!z.empty() && z.size() + varint_size(raw) + varint_size(z.size()) < raw) {
            zstd_gained = true;
            consider(c, std::move(z), true, raw, aligned != 0, shape);
            if (aligned) continue;
          }
        }
        if (!aligned) consider(c, std::move(body), false, raw, false, shape);
      }
    };
    // Only the variant the hint remembers (after Constant); false when it does not apply here (an
    // ExtDictionary hint for a batch without a dictionary, or with values the dictionary lacks:
    // then the full trial runs).
    CodecHint* hints = forced ? nullptr : o.hint;
    CodecHint::Choice* hint = hints != nullptr ? &hints->by_nulls[g.m < g.rows ? 1 : 0] : nullptr;
    auto try_hinted = [&]() -> bool {
      try_codec(Codec::Constant);
      if (best_codec == Codec::Constant) return true;
      ByteWriter w;
      IntShape shape;
      shape.top = hint->int_top;
      shape.child = hint->int_child;
      const bool use_shape = hint->shape_agree >= CodecHint::kAgree && shape.top >= 0;
      int alp_exp = -1;
      if (!build_body(type, hint->codec, g, o, hint->aligned, false, w, use_shape ? &shape : nullptr, nullptr,
                      hint->alp_exponent, &alp_exp))
        return false;
      hints->shaped += use_shape;
      hints->alp_near += hint->codec == Codec::Alp && hint->alp_exponent >= 0;
      if (hint->codec == Codec::Alp) hint->alp_exponent = static_cast<int8_t>(alp_exp);  // follows the data
      std::vector<uint8_t> body = std::move(w.buf());
      const size_t raw = body.size();
      if (hint->zstd && o.allow_zstd && raw >= 32) {
        std::vector<uint8_t> z = zstd_compress(zctx.get(), body.data(), raw, o.zstd_level);
        if (!z.empty() && z.size() + varint_size(raw) + varint_size(z.size()) < raw)
          consider(hint->codec, std::move(z), true, raw, hint->aligned);
      }
      if (!hint->aligned) consider(hint->codec, std::move(body), false, raw, false);
      return best_size != SIZE_MAX;
    };
    const bool use_hint = hint != nullptr && hint->codec != Codec::Auto && hint->agree >= CodecHint::kAgree &&
                          hint->since_trial < CodecHint::kRecheck;
    if (use_hint && try_hinted()) {
      hint->since_trial++;
      hints->hinted++;
    } else {
      best_size = SIZE_MAX;
      best_codec = Codec::AllNull;
      best_body.clear();
      best_z = best_aligned = false;
      best_raw = 0;
      best_shape = IntShape{};
      std::vector<Codec> cands = forced ? std::vector<Codec>{o.force_codec} : candidates_for(type);
      for (Codec c : cands) {
        if (best_codec == Codec::Constant) break;  // nothing beats storing the value once
        if (!forced && alp_applied && (c == Codec::Plain || c == Codec::ByteSplit)) continue;
        try_codec(c);
      }
      if (hint != nullptr && best_size != SIZE_MAX && best_codec != Codec::Constant) {
        hints->trials++;
        // Agreement is on the codec and its alignment; the zstd stage is then tried when either of
        // the last two trials used it (whether zstd pays varies from batch to batch).
        if (hint->codec == best_codec && hint->aligned == best_aligned) {
          hint->agree++;
          hint->zstd = best_z || hint->last_zstd;
        } else {
          hint->codec = best_codec;
          hint->aligned = best_aligned;
          hint->zstd = best_z;
          hint->agree = 1;
          hint->shape_agree = 0;
        }
        // The integer tree's shape is learnt the same way, under an agreed codec.
        if (hint->shape_agree > 0 && hint->int_top == best_shape.top && hint->int_child == best_shape.child) {
          hint->shape_agree++;
        } else {
          hint->int_top = best_shape.top;
          hint->int_child = best_shape.child;
          hint->shape_agree = best_shape.top >= 0 ? 1 : 0;
        }
        hint->alp_exponent = best_codec == Codec::Alp ? static_cast<int8_t>(trial_alp_exp) : int8_t{-1};
        hint->last_zstd = best_z;
        hint->since_trial = 0;
      }
    }
    if (best_size == SIZE_MAX) {
      if (forced) bad_arg("forced codec cannot encode these values");
      throw Error(Errc::internal, "no codec could encode the column");
    }
  }

  ColumnInfo info;
  info.type = type;
  info.codec = best_codec;
  info.rows = g.rows;
  info.null_count = st.null_count;
  info.zstd = best_z;
  if (best_codec == Codec::ExtDictionary) info.dictionary_id = o.dictionary->id();
  std::vector<uint8_t> out = write_frame(info, g.valid01, best_raw, best_body);
  st.codec = best_codec;
  st.zstd = best_z;
  if (stats_out) *stats_out = std::move(st);
  return out;
}

}  // namespace strata::core::codec
