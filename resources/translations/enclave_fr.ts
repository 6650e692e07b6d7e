<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="fr_FR">
<context>
    <name>Actions</name>
    <message>
        <source>&amp;File</source>
        <translation>&amp;Fichier</translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation>É&amp;dition</translation>
    </message>
    <message>
        <source>&amp;Models</source>
        <translation>&amp;Modèles</translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation>&amp;Aide</translation>
    </message>
    <message>
        <source>&amp;Export conversation</source>
        <translation>&amp;Exporter la conversation</translation>
    </message>
    <message>
        <source>&amp;New chat</source>
        <translation>&amp;Nouvelle discussion</translation>
    </message>
    <message>
        <source>&amp;Search conversations</source>
        <translation>&amp;Rechercher dans les conversations</translation>
    </message>
    <message>
        <source>Se&amp;ttings…</source>
        <translation>&amp;Paramètres…</translation>
    </message>
    <message>
        <source>S&amp;top answer</source>
        <translation>&amp;Arrêter la réponse</translation>
    </message>
    <message>
        <source>&amp;Import conversation (JSON)…</source>
        <translation>&amp;Importer une conversation (JSON)…</translation>
    </message>
    <message>
        <source>As &amp;Markdown…</source>
        <translation>En &amp;Markdown…</translation>
    </message>
    <message>
        <source>As &amp;HTML…</source>
        <translation>En &amp;HTML…</translation>
    </message>
    <message>
        <source>As &amp;PDF…</source>
        <translation>En &amp;PDF…</translation>
    </message>
    <message>
        <source>As &amp;JSON…</source>
        <translation>En &amp;JSON…</translation>
    </message>
    <message>
        <source>&amp;Rename conversation…</source>
        <translation>Reno&amp;mmer la conversation…</translation>
    </message>
    <message>
        <source>&amp;Delete conversation</source>
        <translation>&amp;Supprimer la conversation</translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation>&amp;Quitter</translation>
    </message>
    <message>
        <source>&amp;Model manager…</source>
        <translation>&amp;Gestionnaire de modèles…</translation>
    </message>
    <message>
        <source>&amp;About Enclave</source>
        <translation>À &amp;propos d’Enclave</translation>
    </message>
</context>
<context>
    <name>ChatView</name>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>Show earlier messages</source>
        <translation>Afficher les messages précédents</translation>
    </message>
    <message>
        <source>Conversation</source>
        <translation>Conversation</translation>
    </message>
</context>
<context>
    <name>Composer</name>
    <message>
        <source>Message Enclave…</source>
        <translation>Écrire à Enclave…</translation>
    </message>
    <message>
        <source>Message</source>
        <translation>Message</translation>
    </message>
    <message>
        <source>Enter sends, Shift+Enter starts a new line, Up edits your last message</source>
        <translation>Entrée envoie, Maj+Entrée passe à la ligne, Haut modifie votre dernier message</translation>
    </message>
    <message>
        <source>Stop</source>
        <translation>Arrêter</translation>
    </message>
    <message>
        <source>Stop the answer (Esc)</source>
        <translation>Arrêter la réponse (Échap)</translation>
    </message>
    <message>
        <source>Send</source>
        <translation>Envoyer</translation>
    </message>
    <message>
        <source>Send (Enter)</source>
        <translation>Envoyer (Entrée)</translation>
    </message>
    <message>
        <source>Enclave runs on this computer. Nothing you type leaves it. Answers can be wrong: check what matters.</source>
        <translation>Enclave fonctionne sur cet ordinateur. Rien de ce que vous écrivez n’en sort. Les réponses peuvent être fausses&#xa0;: vérifiez ce qui compte.</translation>
    </message>
</context>
<context>
    <name>DetailsDialog</name>
    <message>
        <source>Answer details</source>
        <translation>Détails de la réponse</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>SHA-256</source>
        <translation>SHA-256</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
    <message>
        <source>Written</source>
        <translation>Écrite le</translation>
    </message>
    <message>
        <source>Prompt tokens</source>
        <translation>Jetons de l’invite</translation>
    </message>
    <message>
        <source>From cache</source>
        <translation>Repris du cache</translation>
    </message>
    <message>
        <source>Generated tokens</source>
        <translation>Jetons générés</translation>
    </message>
    <message>
        <source>Time to first token</source>
        <translation>Délai du premier jeton</translation>
    </message>
    <message>
        <source>Speed</source>
        <translation>Vitesse</translation>
    </message>
    <message>
        <source>{rate:.1f} tokens/s</source>
        <translation>{rate:.1f} jetons/s</translation>
    </message>
    <message>
        <source>Total time</source>
        <translation>Durée totale</translation>
    </message>
    <message>
        <source>Stopped because</source>
        <translation>Arrêt dû à</translation>
    </message>
    <message>
        <source>Older turns left out</source>
        <translation>Anciens échanges omis</translation>
    </message>
    <message>
        <source>Parameters:</source>
        <translation>Paramètres&#xa0;:</translation>
    </message>
    <message>
        <source>Parameters</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Copy as JSON</source>
        <translation>Copier en JSON</translation>
    </message>
    <message>
        <source>complete</source>
        <translation>terminée</translation>
    </message>
    <message>
        <source>stopped by the user</source>
        <translation>arrêtée par l’utilisateur</translation>
    </message>
    <message>
        <source>interrupted</source>
        <translation>interrompue</translation>
    </message>
    <message>
        <source>failed</source>
        <translation>échouée</translation>
    </message>
    <message>
        <source>being written</source>
        <translation>en cours d’écriture</translation>
    </message>
    <message>
        <source>the model finished</source>
        <translation>fin de la réponse du modèle</translation>
    </message>
    <message>
        <source>the token limit</source>
        <translation>la limite de jetons</translation>
    </message>
    <message>
        <source>you stopped it</source>
        <translation>votre demande d’arrêt</translation>
    </message>
    <message>
        <source>an error</source>
        <translation>une erreur</translation>
    </message>
</context>
<context>
    <name>Export</name>
    <message>
        <source>Markdown (*.md)</source>
        <translation>Markdown (*.md)</translation>
    </message>
    <message>
        <source>Web page (*.html)</source>
        <translation>Page web (*.html)</translation>
    </message>
    <message>
        <source>PDF document (*.pdf)</source>
        <translation>Document PDF (*.pdf)</translation>
    </message>
    <message>
        <source>Enclave JSON, every branch (*.json)</source>
        <translation>JSON Enclave, toutes les branches (*.json)</translation>
    </message>
    <message>
        <source>conversation</source>
        <translation>conversation</translation>
    </message>
    <message>
        <source>Export conversation</source>
        <translation>Exporter la conversation</translation>
    </message>
    <message>
        <source>Export failed</source>
        <translation>Échec de l’export</translation>
    </message>
    <message>
        <source>Import conversation</source>
        <translation>Importer une conversation</translation>
    </message>
    <message>
        <source>Import failed</source>
        <translation>Échec de l’import</translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>New chat</source>
        <translation>Nouvelle discussion</translation>
    </message>
    <message>
        <source>No system prompt</source>
        <translation>Aucune consigne système</translation>
    </message>
    <message>
        <source>Custom</source>
        <translation>Personnalisée</translation>
    </message>
    <message>
        <source>Locked by your administrator&apos;s policy.</source>
        <translation>Verrouillé par la stratégie de votre administrateur.</translation>
    </message>
    <message>
        <source>The system prompt of this conversation</source>
        <translation>La consigne système de cette conversation</translation>
    </message>
    <message>
        <source>Models</source>
        <translation>Modèles</translation>
    </message>
    <message>
        <source>The model manager is not available in this version.</source>
        <translation>Le gestionnaire de modèles n’est pas disponible dans cette version.</translation>
    </message>
    <message>
        <source>Export</source>
        <translation>Exporter</translation>
    </message>
    <message>
        <source>Open a conversation to export it.</source>
        <translation>Ouvrez une conversation pour l’exporter.</translation>
    </message>
    <message>
        <source>About Enclave</source>
        <translation>À propos d’Enclave</translation>
    </message>
    <message>
        <source>&lt;b&gt;Enclave {version}&lt;/b&gt;&lt;br&gt;A private assistant: the language model runs on this computer and your conversations stay here.</source>
        <translation>&lt;b&gt;Enclave {version}&lt;/b&gt;&lt;br&gt;Un assistant privé&#xa0;: le modèle de langage fonctionne sur cet ordinateur et vos conversations y restent.</translation>
    </message>
    <message>
        <source>System prompt:</source>
        <translation>Consigne système&#xa0;:</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Consigne système</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversations</translation>
    </message>
</context>
<context>
    <name>MessageWidget</name>
    <message>
        <source>Edit message</source>
        <translation>Modifier le message</translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation>Annuler</translation>
    </message>
    <message>
        <source>Save and send</source>
        <translation>Enregistrer et envoyer</translation>
    </message>
    <message>
        <source>Stopped.</source>
        <translation>Arrêtée.</translation>
    </message>
    <message>
        <source>Interrupted: Enclave closed before this answer was finished.</source>
        <translation>Interrompue&#xa0;: Enclave s’est fermé avant la fin de cette réponse.</translation>
    </message>
    <message>
        <source>This answer failed.</source>
        <translation>Cette réponse a échoué.</translation>
    </message>
    <message>
        <source>You</source>
        <translation>Vous</translation>
    </message>
    <message>
        <source>Enclave</source>
        <translation>Enclave</translation>
    </message>
    <message>
        <source>Copy</source>
        <translation>Copier</translation>
    </message>
    <message>
        <source>Copy this message</source>
        <translation>Copier ce message</translation>
    </message>
    <message>
        <source>Edit</source>
        <translation>Modifier</translation>
    </message>
    <message>
        <source>Edit and resend as a new branch (Up)</source>
        <translation>Modifier et renvoyer dans une nouvelle branche (Haut)</translation>
    </message>
    <message>
        <source>Regenerate</source>
        <translation>Régénérer</translation>
    </message>
    <message>
        <source>Write another answer; this one is kept</source>
        <translation>Écrire une autre réponse&#x202f;; celle-ci est conservée</translation>
    </message>
    <message>
        <source>Details</source>
        <translation>Détails</translation>
    </message>
    <message>
        <source>Model, parameters, token counts and timings</source>
        <translation>Modèle, paramètres, nombre de jetons et durées</translation>
    </message>
    <message>
        <source>Previous version</source>
        <translation>Version précédente</translation>
    </message>
    <message>
        <source>Next version</source>
        <translation>Version suivante</translation>
    </message>
    <message>
        <source>Your message</source>
        <translation>Votre message</translation>
    </message>
    <message>
        <source>Answer</source>
        <translation>Réponse</translation>
    </message>
</context>
<context>
    <name>ModelWorker</name>
    <message>
        <source>Something went wrong in the model thread ({error}). Please try again.</source>
        <translation>Un problème est survenu dans le fil du modèle ({error}). Veuillez réessayer.</translation>
    </message>
</context>
<context>
    <name>Presets</name>
    <message>
        <source>Helpful assistant</source>
        <translation>Assistant serviable</translation>
    </message>
    <message>
        <source>You are a helpful, honest assistant. Answer clearly and say when you are unsure.</source>
        <translation>Tu es un assistant serviable et honnête. Réponds clairement et dis-le quand tu n’es pas sûr.</translation>
    </message>
    <message>
        <source>Concise</source>
        <translation>Concis</translation>
    </message>
    <message>
        <source>Answer in as few words as possible, without preamble.</source>
        <translation>Réponds en aussi peu de mots que possible, sans préambule.</translation>
    </message>
    <message>
        <source>Code reviewer</source>
        <translation>Relecteur de code</translation>
    </message>
    <message>
        <source>You review code. Point out bugs, risks and simpler alternatives, with examples.</source>
        <translation>Tu relis du code. Signale les bogues, les risques et les solutions plus simples, avec des exemples.</translation>
    </message>
    <message>
        <source>Translator (French ⇄ English)</source>
        <translation>Traducteur (français ⇄ anglais)</translation>
    </message>
    <message>
        <source>Translate what the user writes between French and English, keeping the tone.</source>
        <translation>Traduis ce qu’écrit l’utilisateur du français vers l’anglais ou inversement, en gardant le ton.</translation>
    </message>
</context>
<context>
    <name>PresetsEditor</name>
    <message>
        <source>Presets</source>
        <translation>Préréglages</translation>
    </message>
    <message>
        <source>New</source>
        <translation>Nouveau</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Preset name</source>
        <translation>Nom du préréglage</translation>
    </message>
    <message>
        <source>System prompt</source>
        <translation>Consigne système</translation>
    </message>
    <message>
        <source>Instructions the model reads before each conversation using this preset.</source>
        <translation>Instructions que le modèle lit avant chaque conversation qui utilise ce préréglage.</translation>
    </message>
    <message>
        <source>Name:</source>
        <translation>Nom&#xa0;:</translation>
    </message>
    <message>
        <source>Prompt:</source>
        <translation>Consigne&#xa0;:</translation>
    </message>
    <message>
        <source>Default system prompt</source>
        <translation>Consigne système par défaut</translation>
    </message>
    <message>
        <source>New conversations use:</source>
        <translation>Les nouvelles conversations utilisent&#xa0;:</translation>
    </message>
    <message>
        <source>You can also choose a preset for each conversation above the chat.</source>
        <translation>Vous pouvez aussi choisir un préréglage pour chaque conversation, au-dessus de la discussion.</translation>
    </message>
    <message>
        <source>New preset</source>
        <translation>Nouveau préréglage</translation>
    </message>
    <message>
        <source>(no name)</source>
        <translation>(sans nom)</translation>
    </message>
    <message>
        <source>No system prompt</source>
        <translation>Aucune consigne système</translation>
    </message>
    <message>
        <source>Custom (set elsewhere)</source>
        <translation>Personnalisée (définie ailleurs)</translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Settings</source>
        <translation>Paramètres</translation>
    </message>
    <message>
        <source>Answers</source>
        <translation>Réponses</translation>
    </message>
    <message>
        <source>Model</source>
        <translation>Modèle</translation>
    </message>
    <message>
        <source>Prompts</source>
        <translation>Consignes</translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation>Apparence</translation>
    </message>
    <message>
        <source>Temperature</source>
        <translation>Température</translation>
    </message>
    <message>
        <source>Higher is more varied, lower is more focused.</source>
        <translation>Plus haut, les réponses sont plus variées&#x202f;; plus bas, plus précises.</translation>
    </message>
    <message>
        <source>Top-p</source>
        <translation>Top-p</translation>
    </message>
    <message>
        <source>Sample only from the most likely words that add up to this share.</source>
        <translation>Ne choisir que parmi les mots les plus probables qui totalisent cette part.</translation>
    </message>
    <message>
        <source>Top-k</source>
        <translation>Top-k</translation>
    </message>
    <message>
        <source>Sample only from this many most likely words (0: no limit).</source>
        <translation>Ne choisir que parmi ce nombre de mots les plus probables (0&#xa0;: sans limite).</translation>
    </message>
    <message>
        <source>Min-p</source>
        <translation>Min-p</translation>
    </message>
    <message>
        <source>Leave out words far less likely than the best one.</source>
        <translation>Écarter les mots bien moins probables que le meilleur.</translation>
    </message>
    <message>
        <source>Repeat penalty</source>
        <translation>Pénalité de répétition</translation>
    </message>
    <message>
        <source>Above 1 discourages repeating the same words.</source>
        <translation>Au-dessus de 1, décourage la répétition des mêmes mots.</translation>
    </message>
    <message>
        <source>Maximum answer length</source>
        <translation>Longueur maximale des réponses</translation>
    </message>
    <message>
        <source>In tokens (about ¾ of a word each).</source>
        <translation>En jetons (environ ¾ de mot chacun).</translation>
    </message>
    <message>
        <source>Context size</source>
        <translation>Taille du contexte</translation>
    </message>
    <message>
        <source>How much of the conversation the model can see, in tokens. Larger uses more memory. Applies when the model reloads.</source>
        <translation>La part de la conversation que le modèle peut voir, en jetons. Plus grand utilise plus de mémoire. S’applique au rechargement du modèle.</translation>
    </message>
    <message>
        <source>CPU threads</source>
        <translation>Fils d’exécution (CPU)</translation>
    </message>
    <message>
        <source>0 chooses from the number of processor cores.</source>
        <translation>0 choisit d’après le nombre de cœurs du processeur.</translation>
    </message>
    <message>
        <source>Automatic</source>
        <translation>Automatique</translation>
    </message>
    <message>
        <source>GPU layers</source>
        <translation>Couches sur le GPU</translation>
    </message>
    <message>
        <source>Layers to run on the graphics card (-1: all it can).</source>
        <translation>Couches à exécuter sur la carte graphique (-1&#xa0;: autant que possible).</translation>
    </message>
    <message>
        <source>All</source>
        <translation>Toutes</translation>
    </message>
    <message>
        <source>Changing these reloads the model after the current answer.</source>
        <translation>Les modifier recharge le modèle après la réponse en cours.</translation>
    </message>
    <message>
        <source>Same as the system</source>
        <translation>Comme le système</translation>
    </message>
    <message>
        <source>Light</source>
        <translation>Clair</translation>
    </message>
    <message>
        <source>Dark</source>
        <translation>Sombre</translation>
    </message>
    <message>
        <source>Theme</source>
        <translation>Thème</translation>
    </message>
    <message>
        <source>Language</source>
        <translation>Langue</translation>
    </message>
    <message>
        <source>Locked by your administrator&apos;s policy ({file}).</source>
        <translation>Verrouillé par la stratégie de votre administrateur ({file}).</translation>
    </message>
</context>
<context>
    <name>Sidebar</name>
    <message>
        <source>No conversation matches “{query}”.</source>
        <translation>Aucune conversation ne correspond à «&#xa0;{query}&#xa0;».</translation>
    </message>
    <message>
        <source>Your conversations will appear here.</source>
        <translation>Vos conversations apparaîtront ici.</translation>
    </message>
    <message>
        <source>New conversation</source>
        <translation>Nouvelle conversation</translation>
    </message>
    <message>
        <source>Pinned</source>
        <translation>Épinglées</translation>
    </message>
    <message>
        <source>Today</source>
        <translation>Aujourd’hui</translation>
    </message>
    <message>
        <source>Yesterday</source>
        <translation>Hier</translation>
    </message>
    <message>
        <source>Previous 7 days</source>
        <translation>7 derniers jours</translation>
    </message>
    <message>
        <source>Older</source>
        <translation>Plus anciennes</translation>
    </message>
    <message>
        <source>Rename…</source>
        <translation>Renommer…</translation>
    </message>
    <message>
        <source>Unpin</source>
        <translation>Désépingler</translation>
    </message>
    <message>
        <source>Pin</source>
        <translation>Épingler</translation>
    </message>
    <message>
        <source>Export…</source>
        <translation>Exporter…</translation>
    </message>
    <message>
        <source>Delete</source>
        <translation>Supprimer</translation>
    </message>
    <message>
        <source>Rename conversation</source>
        <translation>Renommer la conversation</translation>
    </message>
    <message>
        <source>Title:</source>
        <translation>Titre&#xa0;:</translation>
    </message>
    <message>
        <source>Deleted “{title}”.</source>
        <translation>«&#xa0;{title}&#xa0;» supprimée.</translation>
    </message>
    <message>
        <source>+  New chat</source>
        <translation>+  Nouvelle discussion</translation>
    </message>
    <message>
        <source>Start a new conversation (Ctrl+N)</source>
        <translation>Commencer une nouvelle conversation (Ctrl+N)</translation>
    </message>
    <message>
        <source>Search all conversations</source>
        <translation>Rechercher partout</translation>
    </message>
    <message>
        <source>Search conversations</source>
        <translation>Rechercher dans les conversations</translation>
    </message>
    <message>
        <source>Search every message (Ctrl+K)</source>
        <translation>Rechercher dans tous les messages (Ctrl+K)</translation>
    </message>
    <message>
        <source>Conversations</source>
        <translation>Conversations</translation>
    </message>
    <message>
        <source>Right-click a conversation to rename, pin, export or delete it</source>
        <translation>Clic droit sur une conversation pour la renommer, l’épingler, l’exporter ou la supprimer</translation>
    </message>
    <message>
        <source>Undo</source>
        <translation>Annuler</translation>
    </message>
</context>
<context>
    <name>StatusBar</name>
    <message>
        <source>Loading the model… (your history is ready)</source>
        <translation>Chargement du modèle… (votre historique est prêt)</translation>
    </message>
    <message>
        <source>Model not loaded: {error}</source>
        <translation>Modèle non chargé&#xa0;: {error}</translation>
    </message>
    <message>
        <source>Model: {name}</source>
        <translation>Modèle&#xa0;: {name}</translation>
    </message>
    <message>
        <source>Context {used} / {total} tokens</source>
        <translation>Contexte {used} / {total} jetons</translation>
    </message>
    <message>
        <source>{rate:.1f} tokens/s</source>
        <translation>{rate:.1f} jetons/s</translation>
    </message>
    <message>
        <source>First token {ms:.0f} ms</source>
        <translation>Premier jeton {ms:.0f} ms</translation>
    </message>
    <message>
        <source>Context {total} tokens</source>
        <translation>Contexte {total} jetons</translation>
    </message>
    <message>
        <source>Status</source>
        <translation>État</translation>
    </message>
</context>
<context>
    <name>WelcomePanel</name>
    <message>
        <source>Welcome to Enclave</source>
        <translation>Bienvenue dans Enclave</translation>
    </message>
    <message>
        <source>How can I help?</source>
        <translation>Comment puis-je vous aider&#x202f;?</translation>
    </message>
    <message>
        <source>Enclave runs a language model on this computer. What you type, the answers and your history stay here: nothing is sent anywhere.</source>
        <translation>Enclave fait fonctionner un modèle de langage sur cet ordinateur. Ce que vous écrivez, les réponses et votre historique restent ici&#xa0;: rien n’est envoyé nulle part.</translation>
    </message>
    <message>
        <source>The bundled model is a small demo model (Gemma 3 270M): quick, but its answers are simple and often wrong. Install a larger model for real work.</source>
        <translation>Le modèle fourni est un petit modèle de démonstration (Gemma 3 270M)&#xa0;: rapide, mais ses réponses sont simples et souvent fausses. Installez un modèle plus grand pour un vrai travail.</translation>
    </message>
    <message>
        <source>Open the model manager</source>
        <translation>Ouvrir le gestionnaire de modèles</translation>
    </message>
    <message>
        <source>Start chatting</source>
        <translation>Commencer</translation>
    </message>
    <message>
        <source>Explain a concept</source>
        <translation>Expliquer une notion</translation>
    </message>
    <message>
        <source>Explain what a hash function is, simply.</source>
        <translation>Explique simplement ce qu’est une fonction de hachage.</translation>
    </message>
    <message>
        <source>Write some code</source>
        <translation>Écrire du code</translation>
    </message>
    <message>
        <source>Write a Python function that reverses a string.</source>
        <translation>Écris une fonction Python qui inverse une chaîne.</translation>
    </message>
    <message>
        <source>Draft an email</source>
        <translation>Rédiger un e-mail</translation>
    </message>
    <message>
        <source>Draft a short email asking for a meeting.</source>
        <translation>Rédige un court e-mail pour demander un rendez-vous.</translation>
    </message>
    <message>
        <source>Brainstorm</source>
        <translation>Trouver des idées</translation>
    </message>
    <message>
        <source>Give me five names for a bakery.</source>
        <translation>Propose-moi cinq noms pour une boulangerie.</translation>
    </message>
    <message>
        <source>Welcome</source>
        <translation>Bienvenue</translation>
    </message>
</context>
</TS>
