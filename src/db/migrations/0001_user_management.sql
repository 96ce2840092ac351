-- roster 0001: the platform's user-management tables, the history tables that reference users, and the audit trail.
-- Constraints make bad states impossible: cross-organization references, duplicate logins, unknown permissions.

create table permissions (
  key text primary key check (key ~ '^[a-z][a-z_]*$'),
  description text not null
);

insert into permissions (key, description) values
  ('manage_users', 'create, edit and deactivate users'),
  ('manage_roles', 'create, edit and delete custom roles'),
  ('manage_companies', 'create, edit and delete companies'),
  ('view_dashboards', 'view dashboards'),
  ('create_dashboards', 'create dashboards'),
  ('edit_dashboards', 'edit dashboards made by others'),
  ('run_workflows', 'run workflows'),
  ('manage_workflows', 'create, edit and delete workflows'),
  ('view_all_companies', 'see every company''s data, not only one''s own company');

create table organizations (
  id bigint generated always as identity primary key,
  key text not null unique check (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(key) <= 63),
  name text not null check (btrim(name) <> ''),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now()
);

create table companies (
  id bigint generated always as identity primary key,
  organization_id bigint not null references organizations (id),
  key text not null check (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(key) <= 63),
  name text not null check (btrim(name) <> ''),
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, key),
  unique (id, organization_id)
);

create table roles (
  id bigint generated always as identity primary key,
  organization_id bigint not null references organizations (id),
  key text not null check (key ~ '^[a-z0-9]+(-[a-z0-9]+)*$' and length(key) <= 63),
  name text not null check (btrim(name) <> ''),
  description text,
  predefined boolean not null default false,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  unique (organization_id, key),
  unique (id, organization_id)
);

create table role_permissions (
  role_id bigint not null references roles (id) on delete cascade,
  permission text not null references permissions (key),
  primary key (role_id, permission)
);

create table users (
  id bigint generated always as identity primary key,
  organization_id bigint not null references organizations (id),
  email text not null check (email ~ '^[^@\s]+@[^@\s]+$' and length(email) <= 254),
  first_name text not null check (btrim(first_name) <> ''),
  last_name text not null check (btrim(last_name) <> ''),
  role_id bigint not null,
  company_id bigint not null,
  password_hash text check (password_hash is null or password_hash ~ '^\$(scrypt|argon2id)\$'),
  active boolean not null default true,
  created_at timestamptz not null default now(),
  updated_at timestamptz not null default now(),
  deactivated_at timestamptz,
  -- A user's role and company belong to the user's own organization.
  foreign key (role_id, organization_id) references roles (id, organization_id),
  foreign key (company_id, organization_id) references companies (id, organization_id),
  check (active = (deactivated_at is null))
);

-- An email is a login: unique in its organization ignoring case, deactivated users included.
create unique index users_organization_email_key on users (organization_id, lower(email));
create index users_role_id on users (role_id);
create index users_company_id on users (company_id);

-- The platform's history of a user. No cascading deletes: a user's history outlives their access.
create table dashboards (
  id bigint generated always as identity primary key,
  organization_id bigint not null references organizations (id),
  owner_user_id bigint not null references users (id) on delete restrict,
  title text not null
);
create index dashboards_owner_user_id on dashboards (owner_user_id);

create table workflow_runs (
  id bigint generated always as identity primary key,
  user_id bigint not null references users (id) on delete restrict,
  started_at timestamptz not null default now()
);
create index workflow_runs_user_id on workflow_runs (user_id);

-- Predefined roles exist in every organization, identical everywhere: created with the organization.
create function roster_create_predefined_roles() returns trigger language plpgsql as $$
begin
  insert into roles (organization_id, key, name, description, predefined) values
    (new.id, 'admin', 'Administrator', 'Every permission', true),
    (new.id, 'editor', 'Editor', 'Builds dashboards and workflows', true),
    (new.id, 'viewer', 'Viewer', 'Views dashboards', true);
  insert into role_permissions (role_id, permission)
    select r.id, p.key from roles r cross join permissions p
     where r.organization_id = new.id and r.key = 'admin'
    union all
    select r.id, p.permission from roles r
      join (values ('editor', 'view_dashboards'), ('editor', 'create_dashboards'), ('editor', 'edit_dashboards'),
                   ('editor', 'run_workflows'), ('editor', 'manage_workflows'), ('viewer', 'view_dashboards'))
        as p (role, permission) on p.role = r.key
     where r.organization_id = new.id;
  return new;
end $$;

create trigger organizations_predefined_roles after insert on organizations
  for each row execute function roster_create_predefined_roles();

-- The audit trail: one row per apply, one row per change, before and after values (never a password or hash).
create table audit_applies (
  id bigint generated always as identity primary key,
  organization_id bigint not null references organizations (id),
  applied_at timestamptz not null default now(),
  actor text not null,
  git_commit text,
  config_hash text not null,
  roster_version text not null,
  summary jsonb not null
);
create index audit_applies_organization_id on audit_applies (organization_id, applied_at);

create table audit_changes (
  apply_id bigint not null references audit_applies (id),
  position integer not null,
  type text not null check (type in ('organization', 'company', 'role', 'user')),
  action text not null check (action in ('create', 'update', 'delete', 'deactivate', 'reactivate')),
  key text not null,
  fields jsonb not null,
  primary key (apply_id, position)
);
