"""Every sentence a clinic user reads, in French first and English second.

The language comes from ``$ORCHESTRATOR_LANG`` (``fr`` by default, ``en``
available) so the CLI, the notebooks and the dashboard speak the same one.
"""

from __future__ import annotations

import os

MESSAGES: dict[str, tuple[str, str]] = {
    # Export folder and files
    "folder_missing": (
        "Dossier d'exportation introuvable : {folder}",
        "Export folder not found: {folder}",
    ),
    "table_missing": (
        "Table « {table} » absente du dossier {folder} : ajoutez {table}.csv, {table}.xlsx ou {table}.parquet.",
        "Table '{table}' is missing from {folder}: add {table}.csv, {table}.xlsx or {table}.parquet.",
    ),
    "table_ambiguous": (
        "Plusieurs fichiers pour la table « {table} » dans {folder} : {files}. Gardez-en un seul.",
        "Several files for table '{table}' in {folder}: {files}. Keep only one.",
    ),
    "file_empty": (
        "{file} est vide : il faut au moins une ligne d'en-tête ({columns}).",
        "{file} is empty: a header row is required ({columns}).",
    ),
    "column_missing": (
        "{file}, ligne 1 : colonne obligatoire « {column} » absente. Colonnes reconnues (séparateur « {delimiter} ») : "
        "{known} ; autres colonnes : {others}. La première ligne doit être l'en-tête.",
        "{file}, line 1: required column '{column}' is missing. Columns recognised (delimiter '{delimiter}'): "
        "{known}; other columns: {others}. The first line must be the header.",
    ),
    "header_not_first": (
        "{file}, ligne 1 : ligne vide ; l'en-tête ({columns}) doit être sur la première ligne.",
        "{file}, line 1: blank line; the header ({columns}) must be on the first line.",
    ),
    "csv_unterminated_quote": (
        "{file}, ligne {line} : guillemet ouvert jamais refermé ; vérifiez les guillemets de cette ligne.",
        "{file}, line {line}: a quote is opened and never closed; check the quotes of this line.",
    ),
    "column_duplicate": (
        "{file}, ligne 1 : la colonne « {column} » apparaît deux fois dans l'en-tête.",
        "{file}, line 1: column '{column}' appears twice in the header.",
    ),
    "field_count": (
        "{file}, ligne {line} : {found} champ(s) au lieu de {expected}. Le séparateur déduit de l'en-tête est « {delimiter} » : "
        "vérifiez que toutes les lignes l'utilisent et que les valeurs contenant ce caractère sont entre guillemets.",
        "{file}, line {line}: {found} field(s) instead of {expected}. The delimiter taken from the header is '{delimiter}': "
        "check that every line uses it and that values containing it are quoted.",
    ),
    "csv_malformed": (
        "{file}, ligne {line} : ligne CSV illisible ({detail}).",
        "{file}, line {line}: unreadable CSV line ({detail}).",
    ),
    "encoding_mixed": (
        "{file}, ligne {line}, colonne {column} : octet {byte} invalide en UTF-8, alors que la ligne {utf8_line} est en UTF-8. "
        "Le fichier mélange deux encodages : réenregistrez-le entièrement en UTF-8.",
        "{file}, line {line}, column {column}: byte {byte} is not valid UTF-8, while line {utf8_line} is UTF-8. "
        "The file mixes two encodings: save it again, wholly in UTF-8.",
    ),
    "encoding_invalid": (
        "{file}, ligne {line}, colonne {column} : octet {byte} illisible en UTF-8 comme en Windows-1252. Réenregistrez le fichier en UTF-8.",
        "{file}, line {line}, column {column}: byte {byte} is neither UTF-8 nor Windows-1252. Save the file as UTF-8.",
    ),
    "value_missing": (
        "{file}, ligne {line}, colonne « {column} » : valeur obligatoire manquante.",
        "{file}, line {line}, column '{column}': required value is missing.",
    ),
    "value_datetime": (
        "{file}, ligne {line}, colonne « {column} » : « {value} » n'est pas une date ISO 8601 (ex. 2026-07-01T09:30:00 ou 2026-07-01T09:30:00-04:00).",
        "{file}, line {line}, column '{column}': '{value}' is not an ISO 8601 datetime (e.g. 2026-07-01T09:30:00 or 2026-07-01T09:30:00-04:00).",
    ),
    "value_code": (
        "{file}, ligne {line}, colonne « {column} » : code inconnu « {value} ». Codes permis : {allowed}.",
        "{file}, line {line}, column '{column}': unknown code '{value}'. Allowed codes: {allowed}.",
    ),
    "value_boolean": (
        "{file}, ligne {line}, colonne « {column} » : « {value} » n'est ni vrai ni faux (true/false, oui/non, 1/0).",
        "{file}, line {line}, column '{column}': '{value}' is neither true nor false (true/false, yes/no, 1/0).",
    ),
    "end_before_start": (
        "{file}, ligne {line}, colonne « end » : la fin ({end}) précède le début ({start}).",
        "{file}, line {line}, column 'end': the end ({end}) is before the start ({start}).",
    ),
    "duplicate_id": (
        "{file}, ligne {line}, colonne « {column} » : l'identifiant « {value} » apparaît déjà à la ligne {first_line}.",
        "{file}, line {line}, column '{column}': id '{value}' already appears on line {first_line}.",
    ),
    "excel_unreadable": (
        "{file} : classeur Excel illisible ({detail}).",
        "{file}: unreadable Excel workbook ({detail}).",
    ),
    "parquet_unreadable": (
        "{file} : fichier Parquet illisible ({detail}).",
        "{file}: unreadable Parquet file ({detail}).",
    ),
    "nothing_changed": (
        "Exportation identique au dernier chargement : rien n'a changé.",
        "Export identical to the last load: nothing changed.",
    ),
    "loaded": (
        "Chargé : {services} services, {staff} membres du personnel, {appointments} rendez-vous, {availabilities} disponibilités. "
        "{pending} service(s) en attente de synchronisation.",
        "Loaded: {services} services, {staff} staff members, {appointments} appointments, {availabilities} availabilities. "
        "{pending} service(s) waiting for a sync.",
    ),
    # Store
    "db_busy": (
        "La base {db} est occupée depuis plus de {seconds} s par un autre programme ({holder}). "
        "Réessayez dans un instant ; si cela dure, fermez ce programme.",
        "Database {db} has been busy for more than {seconds} s, held by another program ({holder}). "
        "Try again in a moment; if it lasts, close that program.",
    ),
    "db_newer": (
        "La base {db} vient d'une version plus récente (schéma {found} > {known}). Mettez orchestrator_lib à jour.",
        "Database {db} comes from a newer version (schema {found} > {known}). Upgrade orchestrator_lib.",
    ),
    "key_mismatch": (
        "La clé de pseudonymisation des patients ne correspond pas à celle de la base {db}. "
        "Rétablissez le fichier {key_file} ou la variable ORCHESTRATOR_PATIENT_KEY d'origine.",
        "The patient pseudonymisation key does not match the one of database {db}. "
        "Restore the original {key_file} file or ORCHESTRATOR_PATIENT_KEY variable.",
    ),
    "key_missing": (
        "Le fichier de clé {key_file} a disparu alors que la base {db} contient des pseudonymes faits avec lui. "
        "Rétablissez-le (copie de sauvegarde) ou définissez ORCHESTRATOR_PATIENT_KEY avec la clé d'origine.",
        "Key file {key_file} is gone while database {db} holds pseudonyms made with it. "
        "Restore it (from a backup) or set ORCHESTRATOR_PATIENT_KEY to the original key.",
    ),
    "bad_option": (
        "Valeur refusée pour {option} : « {value} ». {hint}",
        "Value refused for {option}: '{value}'. {hint}",
    ),
    "unexpected": (
        "Erreur inattendue : {detail}",
        "Unexpected error: {detail}",
    ),
}


def language() -> str:
    """The user's language: ``fr`` unless ``$ORCHESTRATOR_LANG`` asks for ``en``."""
    return "en" if os.environ.get("ORCHESTRATOR_LANG", "fr").lower().startswith("en") else "fr"


def msg(key: str, **values: object) -> str:
    """The message ``key`` in the user's language, filled with ``values``."""
    french, english = MESSAGES[key]
    return (english if language() == "en" else french).format(**values)
