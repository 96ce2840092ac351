-- roster 0003: every change to a managed row records when it happened, whoever makes it (roster, the app, or SQL
-- by hand), so drift reports can say whether a row changed after roster's last apply.
create function roster_touch_updated_at() returns trigger language plpgsql as $$
begin
  new.updated_at := now();
  return new;
end $$;

create trigger organizations_touch before update on organizations for each row execute function roster_touch_updated_at();
create trigger companies_touch before update on companies for each row execute function roster_touch_updated_at();
create trigger roles_touch before update on roles for each row execute function roster_touch_updated_at();
create trigger users_touch before update on users for each row execute function roster_touch_updated_at();

-- A role's permissions live in role_permissions: changing them touches the role.
create function roster_touch_roles_of_new_permissions() returns trigger language plpgsql as $$
begin
  update roles set updated_at = now() where id in (select role_id from changed_rows);
  return null;
end $$;

create trigger role_permissions_touch_insert after insert on role_permissions
  referencing new table as changed_rows for each statement execute function roster_touch_roles_of_new_permissions();
create trigger role_permissions_touch_delete after delete on role_permissions
  referencing old table as changed_rows for each statement execute function roster_touch_roles_of_new_permissions();
