//! Permissions (ACLs) of data objects, classes and channels.
//!
//! Each of these carries typed permission fields, generated from the schema:
//!
//! | resource | owner | group | others |
//! |---|---|---|---|
//! | [`DataObject`] | `owner` + [`DataObjectOwnerPermissions`] (default `full`) | `group` + [`DataObjectGroupPermissions`] | [`DataObjectOtherPermissions`] (default `none`) |
//! | [`Class`](crate::Class) (who may read it, create objects in it) | – | `group` + [`ClassGroupPermissions`](crate::ClassGroupPermissions) | [`ClassOtherPermissions`](crate::ClassOtherPermissions) (default `create_objects`) |
//! | [`Channel`](crate::Channel) | – | `group` + [`ChannelGroupPermissions`](crate::ChannelGroupPermissions) | [`ChannelOtherPermissions`](crate::ChannelOtherPermissions) |
//!
//! Object levels are `none` < `read` < `write` < `full`; a caller gets the highest of
//! the levels that apply to it (others; owner when its user key is the owner's; group
//! when it is a member). Admins and `ignore_acl` API keys see everything.
//!
//! Read them from a fetched model, set them in the create and update payloads, and use
//! [`ObjectPermissions`] to read or write the object fields together — as a typed
//! update or as a body of a [batch](crate::batch) update:
//!
//! ```no_run
//! # async fn demo(client: syncano::Client) -> syncano::Result<()> {
//! use syncano::permissions::ObjectPermissions;
//! use syncano::{
//!     ChannelOtherPermissions, ChannelUpdate, ClassOtherPermissions, ClassUpdate,
//!     DataObjectCreate, DataObjectOtherPermissions, DataObjectOwnerPermissions,
//!     DataObjectUpdate,
//! };
//!
//! let library = client.instance("library");
//! let books = library.objects("book");
//!
//! // At creation: readable by anyone holding the instance's API key.
//! let mut data = serde_json::Map::new();
//! data.insert("title".into(), "Dune".into());
//! let create = DataObjectCreate::new(data).other_permissions(DataObjectOtherPermissions::Read);
//! let book = books.create(&create).await?;
//!
//! // Reading: typed fields, or all of them at once.
//! assert_eq!(book.other_permissions, Some(DataObjectOtherPermissions::Read));
//! let acl = ObjectPermissions::of(&book);
//! println!("owner {:?} may {:?}", acl.owner, acl.owner_permissions);
//!
//! // Changing: user 7 owns it with write access, nobody else sees it.
//! let acl = ObjectPermissions::new()
//!     .owner(7, DataObjectOwnerPermissions::Write)
//!     .others(DataObjectOtherPermissions::None);
//! let update: DataObjectUpdate = acl.clone().into_update();
//! books.update(book.id, &update).await?;
//! // ...or for many objects in one call.
//! library.batch().update_object("book", 1, &acl).update_object("book", 2, &acl).send().await?;
//!
//! // Classes and channels: their update payloads.
//! let class = ClassUpdate::new().other_permissions(ClassOtherPermissions::Read);
//! library.classes().update("book", &class).await?;
//! let channel = ChannelUpdate::new().other_permissions(ChannelOtherPermissions::Subscribe);
//! library.channels().update("news", &channel).await?;
//! # Ok(())
//! # }
//! ```

use serde::{Deserialize, Serialize};

use crate::{
    DataObject, DataObjectGroupPermissions, DataObjectOtherPermissions, DataObjectOwnerPermissions,
    DataObjectUpdate,
};

/// The permission fields of a data object: who owns it and what the owner, the group
/// and everyone else may do. Serializes only the fields that are set, so it is also a
/// partial-update body (for a `PATCH` or a [batch](crate::batch) update).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ObjectPermissions {
    /// The owning user's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner: Option<i64>,
    /// What the owner may do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub owner_permissions: Option<DataObjectOwnerPermissions>,
    /// The group's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<i64>,
    /// What members of the group may do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_permissions: Option<DataObjectGroupPermissions>,
    /// What everyone else may do.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub other_permissions: Option<DataObjectOtherPermissions>,
}

impl ObjectPermissions {
    /// No field set (an update that changes nothing).
    pub fn new() -> Self {
        ObjectPermissions::default()
    }

    /// The permission fields of a fetched object.
    pub fn of<T>(object: &DataObject<T>) -> Self {
        ObjectPermissions {
            owner: object.owner,
            owner_permissions: object.owner_permissions.clone(),
            group: object.group,
            group_permissions: object.group_permissions.clone(),
            other_permissions: object.other_permissions.clone(),
        }
    }

    /// Sets the owning user and what it may do.
    pub fn owner(mut self, user: i64, permissions: DataObjectOwnerPermissions) -> Self {
        self.owner = Some(user);
        self.owner_permissions = Some(permissions);
        self
    }

    /// Sets the group and what its members may do.
    pub fn group(mut self, group: i64, permissions: DataObjectGroupPermissions) -> Self {
        self.group = Some(group);
        self.group_permissions = Some(permissions);
        self
    }

    /// Sets what everyone else may do.
    pub fn others(mut self, permissions: DataObjectOtherPermissions) -> Self {
        self.other_permissions = Some(permissions);
        self
    }

    /// Copies the fields that are set into `update`.
    pub fn apply<T>(&self, update: &mut DataObjectUpdate<T>) {
        if let Some(owner) = self.owner {
            update.owner = Some(owner);
        }
        if let Some(permissions) = &self.owner_permissions {
            update.owner_permissions = Some(permissions.clone());
        }
        if let Some(group) = self.group {
            update.group = Some(group);
        }
        if let Some(permissions) = &self.group_permissions {
            update.group_permissions = Some(permissions.clone());
        }
        if let Some(permissions) = &self.other_permissions {
            update.other_permissions = Some(permissions.clone());
        }
    }

    /// An update setting these fields and nothing else (set its `data` to change the
    /// class's own fields too).
    pub fn into_update<T: Default>(self) -> DataObjectUpdate<T> {
        let mut update = DataObjectUpdate::default();
        self.apply(&mut update);
        update
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn serializes_only_what_is_set() {
        let acl = ObjectPermissions::new()
            .owner(3, DataObjectOwnerPermissions::Write)
            .others(DataObjectOtherPermissions::Read);
        assert_eq!(
            serde_json::to_value(&acl).unwrap(),
            json!({"owner": 3, "owner_permissions": "write", "other_permissions": "read"})
        );
        let mut update = acl.into_update::<serde_json::Map<String, serde_json::Value>>();
        update.data.insert("title".into(), json!("x"));
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            json!({"owner": 3, "owner_permissions": "write", "other_permissions": "read", "title": "x"})
        );
        let mut update = DataObjectUpdate::new(serde_json::Map::new()).group(9);
        ObjectPermissions::new()
            .others(DataObjectOtherPermissions::None)
            .apply(&mut update);
        assert_eq!(
            serde_json::to_value(&update).unwrap(),
            json!({"group": 9, "other_permissions": "none"})
        );
    }
}
