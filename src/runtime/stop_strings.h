// Holds back generated text that could be the start of a stop string, and cuts the text at the
// first complete one. Text goes in as whole UTF-8 characters (from StreamDecoder) and comes out
// the same way: a held-back suffix always starts where a stop string starts.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace slm {

class StopStringFilter {
 public:
  explicit StopStringFilter(std::vector<std::string> stops);

  struct Step {
    std::string text;      // safe to show now
    bool matched = false;  // a stop string was found; `text` ends right before it
  };
  Step push(std::string_view text);
  std::string finish();  // whatever is still held (no stop string matched)

 private:
  std::vector<std::string> stops_;
  std::string pending_;  // text not yet released
};

}  // namespace slm
