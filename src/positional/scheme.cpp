#include "posemb/positional/scheme.hpp"

#include <fmt/format.h>

#include <string>

#include "posemb/core/error.hpp"

namespace posemb::positional {

std::vector<SchemeKind> all_scheme_kinds() {
  return {SchemeKind::kNope,      SchemeKind::kLearned, SchemeKind::kSinusoidal, SchemeKind::kRope,
          SchemeKind::kAxialRope, SchemeKind::kAlibi,   SchemeKind::kT5,         SchemeKind::kShaw};
}

std::string_view scheme_name(SchemeKind kind) {
  switch (kind) {
    case SchemeKind::kNope: return "nope";
    case SchemeKind::kLearned: return "learned";
    case SchemeKind::kSinusoidal: return "sinusoidal";
    case SchemeKind::kRope: return "rope";
    case SchemeKind::kAxialRope: return "axial-rope";
    case SchemeKind::kAlibi: return "alibi";
    case SchemeKind::kT5: return "t5";
    case SchemeKind::kShaw: return "shaw";
  }
  return "?";
}

Placement placement_of(SchemeKind kind) {
  switch (kind) {
    case SchemeKind::kNope: return Placement::kNone;
    case SchemeKind::kLearned:
    case SchemeKind::kSinusoidal: return Placement::kInput;
    case SchemeKind::kRope:
    case SchemeKind::kAxialRope: return Placement::kQueriesKeys;
    case SchemeKind::kAlibi:
    case SchemeKind::kT5:
    case SchemeKind::kShaw: return Placement::kScores;
  }
  return Placement::kNone;
}

std::string_view placement_name(Placement placement) {
  switch (placement) {
    case Placement::kNone: return "none";
    case Placement::kInput: return "input embeddings";
    case Placement::kQueriesKeys: return "queries and keys";
    case Placement::kScores: return "attention scores";
  }
  return "?";
}

SchemeKind parse_scheme_kind(std::string_view name) {
  if (name == "none") return SchemeKind::kNope;  // the trainer's name for NoPE
  std::string known;
  for (const SchemeKind kind : all_scheme_kinds()) {
    if (scheme_name(kind) == name) return kind;
    known += known.empty() ? "" : ", ";
    known += scheme_name(kind);
  }
  throw Error(fmt::format("unknown positional scheme '{}' (known: {})", name, known));
}

}  // namespace posemb::positional
