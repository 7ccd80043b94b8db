#pragma once
// The `whatsapp:` and `replies:` sections of the config (private to config/).

#include "config/config.h"
#include "yaml_util.h"

namespace sakchy::config::internal {

void ParseWhatsApp(const YAML::Node& node, WhatsAppConfig& out, Issues& issues);
void ParseReplies(const YAML::Node& node, RepliesConfig& out, Issues& issues);

}  // namespace sakchy::config::internal
