-- Address ranges a role may be used from (built-in or defined). A role with
-- none may be used from anywhere.
CREATE TABLE role_networks (
    role TEXT NOT NULL,
    cidr TEXT NOT NULL,
    PRIMARY KEY (role, cidr)
);
