#pragma once
// Private to the classifier: the text a learned model sees ("model text", version
// kModelTextVersion). Training (`sakchy model train`) and inference (Model::Predict) both cut a
// text into the same tokens, so a model keeps meaning the same thing whatever the rule
// normaliser becomes. A change of these rules is a new version (model cards record it; a model
// trained with another version is refused).
//
// Version "sakchy-text-1":
// - a word is a run of letters, digits and combining marks (ICU u_isalnum, U_GC_M_MASK), case
//   folded (u_foldCase, default folding); every other code point separates words;
// - "http://", "https://" or "www." at the start of a word, up to the next white space -> "url";
// - '@' followed by a word character, up to the end of the [word chars + '_'] run -> "@user";
// - '?' and '!' are tokens of their own, a run of one of them gives one token;
// - invalid UTF-8 bytes separate words.
// The model's input line is the tokens joined by one space (fastText splits on white space and
// ends each line with "</s>").
//
// Thread safety: free functions over caller-owned buffers.

#include <string>
#include <string_view>

namespace sakchy::classifier::internal {

inline constexpr std::string_view kModelTextVersion = "sakchy-text-1";

// Calls `on_token(std::string_view)` for each token of `text`, in order. `scratch` holds the
// current token (reused across calls: it only grows). The views are valid until the next call.
template <typename OnToken>
void ForEachModelToken(std::string_view text, std::string& scratch, OnToken&& on_token);

// The tokens of `text` joined by single spaces (the line written to a fastText training file).
std::string ModelText(std::string_view text);

// ---- implementation ----

// Reads one token starting at or after `*pos`; returns false at the end of `text`.
bool NextModelToken(std::string_view text, std::size_t* pos, std::string& token);

template <typename OnToken>
void ForEachModelToken(std::string_view text, std::string& scratch, OnToken&& on_token) {
  std::size_t pos = 0;
  while (NextModelToken(text, &pos, scratch)) on_token(std::string_view(scratch));
}

}  // namespace sakchy::classifier::internal
