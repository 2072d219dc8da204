pub fn hello() -> maud::Markup {
    maud::html! { p { "hi" } }
}
