-- Identity: accounts, sessions (refresh-token families), refresh tokens, API keys, limiter state.
--
-- Tenant isolation: the service runs every transaction as memoric_app (SET LOCAL ROLE), a role
-- that is not a superuser, owns no table and lacks BYPASSRLS, so row-level security (FORCEd)
-- applies. The context comes from transaction-local settings:
--   app.user_id  the authenticated user (tenant rows are visible only when they match)
--   app.admin    'on' on the explicit, audited admin path
--   app.system   'on' for authentication look-ups and background jobs that act for no one user

do $$
begin
  create role memoric_app nologin nosuperuser nobypassrls noinherit;
exception when duplicate_object then
  null; -- shared by every database of the cluster; another database created it first
end
$$;
grant memoric_app to current_user;
grant usage on schema public to memoric_app;

create function app_user_id() returns uuid language sql stable as
  $$ select nullif(current_setting('app.user_id', true), '')::uuid $$;
create function app_is_admin() returns boolean language sql stable as
  $$ select coalesce(current_setting('app.admin', true), '') = 'on' $$;
create function app_is_system() returns boolean language sql stable as
  $$ select coalesce(current_setting('app.system', true), '') = 'on' $$;

create table users (
  id uuid primary key default gen_random_uuid(),
  username text not null,
  email text not null,
  full_name text not null default '',
  password_hash text not null,
  roles text[] not null check (cardinality(roles) > 0),
  active boolean not null default true,
  -- Bumped by logout-all, password change, role change, deactivation: outstanding JWTs die.
  token_version integer not null default 0,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  last_login_at timestamptz
);
create unique index users_username_key on users (lower(username));
create unique index users_email_key on users (lower(email));

create table sessions (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  created_at timestamptz not null default now(),
  -- Absolute lifetime: rotation never extends a session past this.
  expires_at timestamptz not null,
  revoked_at timestamptz,
  revoked_reason text
);
create index sessions_user_idx on sessions (user_id);

create table refresh_tokens (
  id uuid primary key default gen_random_uuid(),
  session_id uuid not null references sessions (id) on delete cascade,
  user_id uuid not null references users (id) on delete cascade,
  token_hash text not null unique,
  created_at timestamptz not null default now(),
  -- Set when rotated: presenting it again is reuse, and revokes the whole session.
  used_at timestamptz
);
create index refresh_tokens_session_idx on refresh_tokens (session_id);

create table api_keys (
  id uuid primary key default gen_random_uuid(),
  user_id uuid not null references users (id) on delete cascade,
  name text not null,
  prefix text not null,
  key_hash text not null unique,
  scopes text[] not null default '{}',
  created_at timestamptz not null default now(),
  expires_at timestamptz,
  last_used_at timestamptz,
  revoked_at timestamptz
);
create index api_keys_user_idx on api_keys (user_id);

-- Fixed-window counters shared by every replica: per principal, per address, per account.
create table rate_limits (
  key text primary key,
  window_start timestamptz not null,
  hits integer not null
);

-- Failed-login state per account (HMAC of the identifier) and per client address.
create table login_throttle (
  key text primary key,
  failures integer not null default 0,
  lockouts integer not null default 0,
  window_start timestamptz not null default now(),
  locked_until timestamptz
);

-- Row-level security: FORCE so even the owner is confined when it is not a superuser.
alter table users enable row level security;
alter table users force row level security;
create policy users_tenant on users
  using (id = app_user_id() or app_is_admin() or app_is_system())
  with check (id = app_user_id() or app_is_admin() or app_is_system());

alter table sessions enable row level security;
alter table sessions force row level security;
create policy sessions_tenant on sessions
  using (user_id = app_user_id() or app_is_admin() or app_is_system())
  with check (user_id = app_user_id() or app_is_admin() or app_is_system());

alter table refresh_tokens enable row level security;
alter table refresh_tokens force row level security;
create policy refresh_tokens_tenant on refresh_tokens
  using (user_id = app_user_id() or app_is_admin() or app_is_system())
  with check (user_id = app_user_id() or app_is_admin() or app_is_system());

alter table api_keys enable row level security;
alter table api_keys force row level security;
create policy api_keys_tenant on api_keys
  using (user_id = app_user_id() or app_is_admin() or app_is_system())
  with check (user_id = app_user_id() or app_is_admin() or app_is_system());

grant select, insert, update, delete on users, sessions, refresh_tokens, api_keys to memoric_app;
grant select, insert, update, delete on rate_limits, login_throttle to memoric_app;
grant select on instance, schema_migrations to memoric_app;
