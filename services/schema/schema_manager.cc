#include "services/schema/schema_manager.h"

#include <cctype>
#include <chrono>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "common/crypto/crypto.h"
#include "common/mapping/table_generator.h"
#include "common/rpc/rpc.h"
#include "common/script/transform_script.h"
#include "common/status/error_code.h"
#include "common/status/grpc_status.h"
#include "common/status/status_macros.h"

namespace sluice {
namespace {

constexpr std::chrono::milliseconds kCallTimeout(10000);

absl::Status ValidateName(const std::string& name, const char* what) {
  if (name.empty() || name.size() > 255) {
    return InvalidArgumentError(
        "invalid_name",
        absl::StrCat(what, " name must be 1 to 255 characters"));
  }
  return absl::OkStatus();
}

absl::Status BadRetention() {
  return InvalidArgumentError(
      "invalid_retention",
      "retention must be a positive duration such as \"45s\", \"90m\", "
      "\"12h\" or \"30d\"");
}

absl::Status BadBodyLimit() {
  return InvalidArgumentError(
      "invalid_limit",
      absl::StrCat("maxBodyBytes must be between 1 and ", kMaxBodyLimit));
}

// A script is checked when saved: it compiles, its top level runs, and it
// defines transform(); the error names the line.
absl::Status CheckScript(const std::string& source) {
  if (source.empty()) return absl::OkStatus();
  absl::Status checked = script::Check(source);
  if (checked.ok()) return checked;
  return InvalidArgumentError("invalid_script",
                              absl::StrCat("script: ", checked.message()));
}

int64_t NowSeconds() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace

std::optional<int64_t> ParseRetention(const std::string& text) {
  if (text.empty()) return 0;
  if (text.size() < 2) return std::nullopt;
  int64_t n;
  if (!absl::SimpleAtoi(text.substr(0, text.size() - 1), &n) || n <= 0 ||
      !std::isdigit(static_cast<unsigned char>(text[0]))) {
    return std::nullopt;
  }
  int64_t unit;
  switch (text.back()) {
    case 's':
      unit = 1;
      break;
    case 'm':
      unit = 60;
      break;
    case 'h':
      unit = 3600;
      break;
    case 'd':
      unit = 86400;
      break;
    default:
      return std::nullopt;
  }
  if (n > int64_t{100} * 365 * 86400 / unit) return std::nullopt;
  return n * unit;
}

absl::StatusOr<v1::Integration> SchemaManager::CreateIntegration(
    const std::string& name) {
  SLUICE_RETURN_IF_ERROR(ValidateName(name, "integration"));
  v1::Integration integration;
  integration.set_uuid(crypto::NewUuid());
  integration.set_name(name);
  integration.mutable_create_time()->set_seconds(NowSeconds());
  SLUICE_RETURN_IF_ERROR(store_->InsertIntegration(integration));
  return integration;
}

absl::StatusOr<std::vector<v1::Integration>> SchemaManager::ListIntegrations() {
  return store_->ListIntegrations();
}

absl::StatusOr<v1::Integration> SchemaManager::GetIntegration(
    const std::string& uuid) {
  return store_->GetIntegration(uuid);
}

absl::Status SchemaManager::DeleteIntegration(const std::string& uuid) {
  SLUICE_RETURN_IF_ERROR(store_->GetIntegration(uuid).status());
  SLUICE_ASSIGN_OR_RETURN(auto listeners, store_->ListListeners(uuid));
  if (!listeners.empty()) {
    return WithErrorCode(absl::FailedPreconditionError(absl::StrCat(
                             "the integration still has ", listeners.size(),
                             " listener(s); delete them first")),
                         "has_listeners");
  }
  return store_->DeleteIntegration(uuid);
}

absl::StatusOr<v1::CreateListenerResponse> SchemaManager::CreateListener(
    const v1::CreateListenerRequest& request) {
  SLUICE_RETURN_IF_ERROR(
      store_->GetIntegration(request.integration_uuid()).status());
  v1::Listener listener = request.listener();
  SLUICE_RETURN_IF_ERROR(ValidateName(listener.name(), "listener"));
  auto retention = ParseRetention(listener.retention());
  if (!retention) return BadRetention();
  if (listener.max_body_bytes() == 0)
    listener.set_max_body_bytes(kDefaultBodyLimit);
  if (listener.max_body_bytes() < 1 ||
      listener.max_body_bytes() > kMaxBodyLimit) {
    return BadBodyLimit();
  }
  SLUICE_RETURN_IF_ERROR(CheckScript(listener.script()));
  // The store's unique key enforces listener names too, but only after the
  // tables and credential exist; checking first avoids creating and undoing
  // them for a name that is taken.
  for (const v1::Listener& other :
       store_->ListListeners(request.integration_uuid())
           .value_or(std::vector<v1::Listener>{})) {
    if (other.name() == listener.name()) {
      return absl::AlreadyExistsError(
          absl::StrCat("a listener named \"", listener.name(),
                       "\" already exists in this integration"));
    }
  }
  SLUICE_RETURN_IF_ERROR(mapping::GenerateTables(listener.mutable_structure()));
  listener.set_uuid(crypto::NewUuid());
  listener.set_integration_uuid(request.integration_uuid());
  listener.set_retention_seconds(*retention);
  listener.mutable_create_time()->set_seconds(NowSeconds());
  listener.set_version(1);

  // 1. Tables.
  v1::CreateTablesRequest tables;
  tables.set_listener_uuid(listener.uuid());
  *tables.mutable_tables() = listener.structure().tables();
  v1::CreateTablesResponse tables_response;
  auto context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
  SLUICE_RETURN_IF_ERROR(FromGrpcStatus(
      storage_->CreateTables(context.get(), tables, &tables_response)));
  auto drop_tables = [&] {
    v1::DropTablesRequest drop;
    drop.set_listener_uuid(listener.uuid());
    v1::DropTablesResponse ignored;
    auto ctx = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
    (void)storage_->DropTables(ctx.get(), drop, &ignored);
  };
  // 2. Credential.
  v1::SetCredentialRequest credential;
  credential.set_listener_uuid(listener.uuid());
  *credential.mutable_config() = listener.auth();
  credential.set_secret(request.secret());
  v1::SetCredentialResponse secrets;
  context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
  if (absl::Status s = FromGrpcStatus(
          auth_->SetCredential(context.get(), credential, &secrets));
      !s.ok()) {
    drop_tables();
    return s;
  }
  auto delete_credential = [&] {
    v1::DeleteCredentialRequest del;
    del.set_listener_uuid(listener.uuid());
    v1::DeleteCredentialResponse ignored;
    auto ctx = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
    (void)auth_->DeleteCredential(ctx.get(), del, &ignored);
  };
  // 3. Retention policy.
  if (listener.retention_seconds() > 0) {
    if (absl::Status s =
            SetPolicy(listener.uuid(), listener.retention_seconds());
        !s.ok()) {
      delete_credential();
      drop_tables();
      return s;
    }
  }
  // 4. The listener itself.
  if (absl::Status s = store_->InsertListener(listener); !s.ok()) {
    v1::DeletePolicyRequest del;
    del.set_listener_uuid(listener.uuid());
    v1::DeletePolicyResponse ignored;
    context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
    (void)retention_->DeletePolicy(context.get(), del, &ignored);
    delete_credential();
    drop_tables();
    return s;
  }
  IndexChanged();
  v1::CreateListenerResponse response;
  *response.mutable_listener() = listener;
  response.set_token(secrets.token());
  response.set_password(secrets.password());
  response.set_secret(secrets.secret());
  return response;
}

absl::StatusOr<v1::Listener> SchemaManager::GetListener(
    const std::string& integration_uuid, const std::string& listener_uuid) {
  auto listener = store_->GetListener(listener_uuid);
  if (!listener.ok()) return listener.status();
  if (listener->integration_uuid() != integration_uuid) {
    return absl::NotFoundError("listener not found");
  }
  return listener;
}

absl::StatusOr<std::vector<v1::Listener>> SchemaManager::ListListeners(
    const std::string& integration_uuid) {
  SLUICE_RETURN_IF_ERROR(store_->GetIntegration(integration_uuid).status());
  return store_->ListListeners(integration_uuid);
}

absl::Status SchemaManager::DeleteListener(const std::string& integration_uuid,
                                           const std::string& listener_uuid) {
  SLUICE_ASSIGN_OR_RETURN(v1::Listener listener,
                          GetListener(integration_uuid, listener_uuid));
  v1::DropTablesRequest drop;
  drop.set_listener_uuid(listener.uuid());
  v1::DropTablesResponse dropped;
  auto context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
  SLUICE_RETURN_IF_ERROR(
      FromGrpcStatus(storage_->DropTables(context.get(), drop, &dropped)));
  v1::DeletePolicyRequest policy;
  policy.set_listener_uuid(listener.uuid());
  v1::DeletePolicyResponse policy_response;
  context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
  SLUICE_RETURN_IF_ERROR(FromGrpcStatus(
      retention_->DeletePolicy(context.get(), policy, &policy_response)));
  v1::DeleteCredentialRequest credential;
  credential.set_listener_uuid(listener.uuid());
  v1::DeleteCredentialResponse credential_response;
  context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
  SLUICE_RETURN_IF_ERROR(FromGrpcStatus(auth_->DeleteCredential(
      context.get(), credential, &credential_response)));
  SLUICE_RETURN_IF_ERROR(store_->DeleteListener(listener.uuid()));
  IndexChanged();
  return absl::OkStatus();
}

absl::StatusOr<v1::CreateListenerResponse> SchemaManager::UpdateListener(
    const v1::UpdateListenerRequest& request) {
  SLUICE_ASSIGN_OR_RETURN(
      const v1::Listener current,
      GetListener(request.integration_uuid(), request.listener_uuid()));
  // Validate every change first, the credential with a dry run in auth, so
  // that a rejected PATCH changes nothing.
  v1::Listener updated = current;
  bool auth = false;
  bool retention = false;
  for (const std::string& field : request.update_mask()) {
    if (field == "auth") {
      auth = true;
      *updated.mutable_auth() = request.listener().auth();
    } else if (field == "retention") {
      auto seconds = ParseRetention(request.listener().retention());
      if (!seconds) return BadRetention();
      retention = true;
      updated.set_retention(request.listener().retention());
      updated.set_retention_seconds(*seconds);
    } else if (field == "max_body_bytes") {
      int64_t limit = request.listener().max_body_bytes();
      if (limit < 1 || limit > kMaxBodyLimit) return BadBodyLimit();
      updated.set_max_body_bytes(limit);
    } else if (field == "script") {
      SLUICE_RETURN_IF_ERROR(CheckScript(request.listener().script()));
      updated.set_script(request.listener().script());
    } else {
      return InvalidArgumentError(
          "invalid_request",
          absl::StrCat("field \"", field, "\" cannot be changed"));
    }
  }
  v1::SetCredentialRequest credential;
  credential.set_listener_uuid(current.uuid());
  *credential.mutable_config() = updated.auth();
  credential.set_secret(request.secret());
  if (auth) {
    v1::SetCredentialRequest dry_run = credential;
    dry_run.set_validate_only(true);
    v1::SetCredentialResponse ignored;
    auto context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
    SLUICE_RETURN_IF_ERROR(
        FromGrpcStatus(auth_->SetCredential(context.get(), dry_run, &ignored)));
  }
  // Then apply: retention policy, listener, credential last (its new secret
  // is shown once, so nothing may fail after it). Each failure undoes the
  // steps before it.
  auto set_policy = [&](int64_t seconds) {
    return SetPolicy(current.uuid(), seconds);
  };
  if (retention) {
    SLUICE_RETURN_IF_ERROR(set_policy(updated.retention_seconds()));
  }
  updated.set_version(current.version() + 1);
  if (absl::Status s = store_->UpdateListener(updated, current); !s.ok()) {
    if (retention) (void)set_policy(current.retention_seconds());
    return s;
  }
  v1::CreateListenerResponse response;
  if (auth) {
    v1::SetCredentialResponse secrets;
    auto context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
    absl::Status s = FromGrpcStatus(
        auth_->SetCredential(context.get(), credential, &secrets));
    if (s.code() == absl::StatusCode::kUnavailable) {
      // Auth may have stored the new credential before its answer was lost:
      // keep the listener's new settings rather than undo them to a
      // credential that may be gone, and have the user regenerate it.
      return absl::UnavailableError(
          "the listener was changed but its new secret could not be "
          "confirmed; regenerate it with POST .../token");
    }
    if (!s.ok()) {
      v1::Listener restored = current;
      restored.set_version(updated.version() + 1);
      (void)store_->UpdateListener(restored, updated);
      if (retention) (void)set_policy(current.retention_seconds());
      return s;
    }
    response.set_token(secrets.token());
    response.set_password(secrets.password());
    response.set_secret(secrets.secret());
  }
  *response.mutable_listener() = updated;
  return response;
}

absl::StatusOr<v1::RotateSecretResponse> SchemaManager::RotateSecret(
    const std::string& integration_uuid, const std::string& listener_uuid) {
  SLUICE_ASSIGN_OR_RETURN(v1::Listener listener,
                          GetListener(integration_uuid, listener_uuid));
  v1::RotateCredentialRequest rotate;
  rotate.set_listener_uuid(listener.uuid());
  v1::SetCredentialResponse secrets;
  auto context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
  SLUICE_RETURN_IF_ERROR(
      FromGrpcStatus(auth_->RotateCredential(context.get(), rotate, &secrets)));
  v1::RotateSecretResponse response;
  response.set_token(secrets.token());
  response.set_password(secrets.password());
  response.set_secret(secrets.secret());
  return response;
}

absl::Status SchemaManager::SetPolicy(const std::string& listener_uuid,
                                      int64_t retention_seconds) {
  v1::SetPolicyRequest policy;
  policy.set_listener_uuid(listener_uuid);
  policy.set_retention_seconds(retention_seconds);
  v1::SetPolicyResponse ignored;
  auto context = ContextWithDeadline(kCallTimeout, /*wait_for_ready=*/true);
  return FromGrpcStatus(retention_->SetPolicy(context.get(), policy, &ignored));
}

absl::StatusOr<v1::ListenerIndex> SchemaManager::ListenerIndex(
    const std::string& known_digest) {
  constexpr auto kFresh = std::chrono::milliseconds(500);
  std::shared_ptr<const v1::ListenerIndex> index;
  int64_t generation = 0;
  {
    absl::MutexLock lock(&index_mu_);
    if (index_ && std::chrono::steady_clock::now() - index_read_ < kFresh) {
      index = index_;
    }
    generation = index_generation_;
  }
  if (!index) {
    SLUICE_ASSIGN_OR_RETURN(auto refs, store_->ListListenerRefs());
    auto fresh = std::make_shared<v1::ListenerIndex>();
    std::string content;
    for (auto& [listener, integration] : refs) {
      absl::StrAppend(&content, listener, "/", integration, "\n");
      v1::ListenerRef* ref = fresh->add_listeners();
      ref->set_listener_uuid(std::move(listener));
      ref->set_integration_uuid(std::move(integration));
    }
    fresh->set_digest(crypto::Sha256(content));
    absl::MutexLock lock(&index_mu_);
    if (generation == index_generation_) {
      index_ = fresh;
      index_read_ = std::chrono::steady_clock::now();
    }
    index = fresh;
  }
  if (!known_digest.empty() && known_digest == index->digest()) {
    v1::ListenerIndex unchanged;
    unchanged.set_digest(index->digest());
    unchanged.set_unchanged(true);
    return unchanged;
  }
  return *index;
}

absl::StatusOr<v1::GenerateTablesResponse> SchemaManager::GenerateTables(
    const v1::DataStructure& structure) {
  v1::GenerateTablesResponse response;
  *response.mutable_structure() = structure;
  SLUICE_RETURN_IF_ERROR(mapping::GenerateTables(response.mutable_structure()));
  for (const v1::Table& table : response.structure().tables()) {
    response.add_ddl(mapping::RenderCreateTable(table));
  }
  return response;
}

}  // namespace sluice
