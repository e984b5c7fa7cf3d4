//! Finding controls as a person does: by the text of their label, the
//! legend of their question, the words of a link.

use fantoccini::elements::Element;
use fantoccini::{Client, Locator};

use crate::support::{BoxError, text, wait_for};

/// The control a visible label is tied to.
pub(crate) async fn control(client: &Client, label: &str) -> Result<Element, BoxError> {
    let xpath = format!("//label[normalize-space()=\"{label}\"]");
    let tied = client
        .find(Locator::XPath(&xpath))
        .await
        .map_err(|e| format!("no label {label:?}: {e}"))?;
    let id = tied
        .attr("for")
        .await?
        .ok_or_else(|| format!("the label {label:?} is tied to nothing"))?;
    Ok(client.find(Locator::Id(&id)).await?)
}

/// Types `value` into the field labelled `label`, or picks the choice
/// `value` from its list.
pub(crate) async fn fill(client: &Client, label: &str, value: &str) -> Result<(), BoxError> {
    let field = control(client, label).await?;
    if field.tag_name().await? == "select" {
        field.select_by_label(value).await?;
    } else {
        field.clear().await?;
        field.send_keys(value).await?;
    }
    Ok(())
}

/// What the field labelled `label` holds (a list: the choice shown).
pub(crate) async fn shown(client: &Client, label: &str) -> Result<String, BoxError> {
    let field = control(client, label).await?;
    if field.tag_name().await? == "select" {
        let picked = field.find(Locator::Css("option:checked")).await?;
        return Ok(picked.text().await?.trim().to_owned());
    }
    Ok(field.prop("value").await?.unwrap_or_default())
}

pub(crate) fn question(legend: &str) -> String {
    format!("//fieldset[legend[normalize-space()=\"{legend}\"]]")
}

/// Answers the yes-or-no question `legend` by the answer's label.
pub(crate) async fn answer(client: &Client, legend: &str, choice: &str) -> Result<(), BoxError> {
    let xpath = format!(
        "{}//label[normalize-space()=\"{choice}\"]",
        question(legend)
    );
    client.find(Locator::XPath(&xpath)).await?.click().await?;
    Ok(())
}

/// The answer ticked for the question `legend`, if any.
pub(crate) async fn answered(client: &Client, legend: &str) -> Result<Option<String>, BoxError> {
    let xpath = format!("{}//label[input[@type='radio']]", question(legend));
    for choice in client.find_all(Locator::XPath(&xpath)).await? {
        let input = choice.find(Locator::Css("input")).await?;
        if input.prop("checked").await?.as_deref() == Some("true") {
            return Ok(Some(choice.text().await?.trim().to_owned()));
        }
    }
    Ok(None)
}

/// Follows the link whose visible text is `name` and waits for `next`.
pub(crate) async fn follow(client: &Client, name: &str, next: &str) -> Result<(), BoxError> {
    client
        .find(Locator::LinkText(name))
        .await
        .map_err(|e| format!("no link {name:?}: {e}"))?
        .click()
        .await?;
    wait_for(client, next).await?;
    Ok(())
}

/// The text of the first element matching `css` contains `part`.
pub(crate) async fn says(client: &Client, css: &str, part: &str) -> Result<(), BoxError> {
    let said = text(client, css).await?;
    if said.contains(part) {
        Ok(())
    } else {
        Err(format!("{css} says {said:?}, not {part:?}").into())
    }
}
