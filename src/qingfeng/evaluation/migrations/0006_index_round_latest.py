from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("evaluation", "0005_index_response_figures")]

    operations = [
        migrations.AddIndex(
            model_name="round",
            index=models.Index(fields=["starts_on", "id"], name="evaluation_round_latest"),
        ),
    ]
