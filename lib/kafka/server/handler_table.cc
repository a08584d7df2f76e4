#include <algorithm>
#include <vector>

#include "kafka/server/handler.h"

namespace samsa::kafka {

const std::vector<ApiHandler>& AllHandlers() {
  static const std::vector<ApiHandler>* table = [] {
    auto* t = new std::vector<ApiHandler>;
    AddDataHandlers(t);
    AddAdminHandlers(t);
    AddGroupHandlers(t);
    std::sort(t->begin(), t->end(),
              [](const ApiHandler& a, const ApiHandler& b) { return a.key < b.key; });
    return t;
  }();
  return *table;
}

const ApiHandler* FindHandler(ApiKey key) {
  for (const ApiHandler& h : AllHandlers()) {
    if (h.key == key) return &h;
  }
  return nullptr;
}

}  // namespace samsa::kafka
