#include "runtime/stop_strings.h"

#include <algorithm>

namespace slm {

StopStringFilter::StopStringFilter(std::vector<std::string> stops) : stops_(std::move(stops)) {}

StopStringFilter::Step StopStringFilter::push(std::string_view text) {
  Step step;
  pending_.append(text);
  if (stops_.empty()) {
    step.text.swap(pending_);
    return step;
  }
  // The earliest complete stop string wins.
  size_t cut = std::string::npos;
  for (const std::string& s : stops_) cut = std::min(cut, pending_.find(s));
  if (cut != std::string::npos) {
    step.text = pending_.substr(0, cut);
    step.matched = true;
    pending_.clear();
    return step;
  }
  // Hold back the longest suffix that is a proper prefix of some stop string.
  size_t hold = 0;
  for (const std::string& s : stops_) {
    const size_t max_len = std::min(s.size() - 1, pending_.size());
    for (size_t len = max_len; len > hold; --len)
      if (pending_.compare(pending_.size() - len, len, s, 0, len) == 0) {
        hold = len;
        break;
      }
  }
  step.text = pending_.substr(0, pending_.size() - hold);
  pending_.erase(0, pending_.size() - hold);
  return step;
}

std::string StopStringFilter::finish() {
  std::string rest;
  rest.swap(pending_);
  return rest;
}

}  // namespace slm
