-- One row describing this deployment: its id (used to label metrics and as a stable salt source)
-- and when its schema was first created.
create table instance (
  id boolean primary key default true check (id),
  instance_id uuid not null default gen_random_uuid(),
  created_at timestamptz not null default now()
);
insert into instance default values;
