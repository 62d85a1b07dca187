//! What every signed-in page shares: the menu (only what the grants allow), the user menu and
//! the CSRF token the script sends with changes.

use crate::auth::Auth;
use rapport_app::i18n::Catalog;
use rapport_domain::Grant;

pub struct MenuItem<'a> {
    pub href: &'static str,
    pub label: &'a str,
    pub active: bool,
}

pub struct MenuSection<'a> {
    pub label: &'a str,
    pub items: Vec<MenuItem<'a>>,
}

pub struct Shell<'a> {
    pub title: &'a str,
    pub me_name: String,
    /// First letter of the name, for the round avatar placeholder.
    pub me_initial: String,
    pub me_account: String,
    pub csrf_token: String,
    pub sections: Vec<MenuSection<'a>>,
    /// The notification bell, for those who work in chats.
    pub bell: bool,
}

/// A menu entry: the grant that shows it, where it leads, its label's catalogue key.
type Entry = (Grant, &'static str, &'static str);

/// The menu: (section label key, entries).
const MENU: &[(&str, &[Entry])] = &[
    (
        "nav.my_company",
        &[(Grant::MenuStaff, "/staff", "menu.staff"), (Grant::MenuDepartments, "/departments", "menu.departments")],
    ),
    (
        "nav.whatsapp",
        &[
            (Grant::MenuNumbers, "/numbers", "menu.numbers"),
            (Grant::MenuNumbers, "/templates", "menu.templates"),
            (Grant::MenuChats, "/chats", "menu.chats"),
            (Grant::MenuChatHistory, "/history", "menu.chat_history"),
            (Grant::MenuFields, "/fields", "menu.fields"),
            (Grant::MenuAutoReply, "/auto-replies", "menu.auto_reply"),
            (Grant::MenuTexts, "/texts", "menu.texts"),
        ],
    ),
    ("nav.customers", &[(Grant::MenuContacts, "/contacts", "menu.contacts")]),
    (
        "nav.settings",
        &[(Grant::MenuSettings, "/settings", "menu.settings"), (Grant::MenuSettings, "/audit", "menu.audit")],
    ),
];

impl<'a> Shell<'a> {
    pub fn new(t: &'a Catalog, auth: &Auth, active: &str) -> Shell<'a> {
        let sections = MENU
            .iter()
            .map(|(section, items)| MenuSection {
                label: t.get(section),
                items: items
                    .iter()
                    .filter(|(grant, _, _)| auth.has(*grant))
                    .map(|(_, href, label)| MenuItem { href, label: t.get(label), active: *href == active })
                    .collect(),
            })
            .filter(|s| !s.items.is_empty())
            .collect();
        let title = MENU
            .iter()
            .flat_map(|(_, items)| items.iter())
            .find(|(_, href, _)| *href == active)
            .map_or(t.get("app.name"), |(_, _, label)| t.get(label));
        Shell {
            title,
            me_name: auth.session.name.clone(),
            me_initial: auth.session.name.chars().next().map(|c| c.to_uppercase().to_string()).unwrap_or_default(),
            me_account: auth.session.account.clone(),
            csrf_token: auth.session.csrf_token.clone(),
            sections,
            bell: auth.has(Grant::MenuChats),
        }
    }

    pub fn first_page(&self) -> Option<&'static str> {
        self.sections.first().and_then(|s| s.items.first()).map(|i| i.href)
    }
}
