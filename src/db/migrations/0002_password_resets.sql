-- roster 0002: explicit password rotations. The id of the last reset roster applied, so each is applied once.
alter table users add column password_reset_id text check (password_reset_id is null or btrim(password_reset_id) <> '');

-- A stable identity for this database, recorded in saved plans so a plan is never applied to another database.
create table roster_database (
  singleton boolean primary key default true check (singleton),
  id uuid not null default gen_random_uuid(),
  created_at timestamptz not null default now()
);
insert into roster_database default values;
