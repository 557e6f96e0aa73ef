package dev.ledger;

import dev.ledger.api.account.ReadProperties;
import dev.ledger.api.web.DatabaseBootstrap;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;

@SpringBootApplication
@EnableConfigurationProperties(ReadProperties.class)
public class LedgerApplication {

    public static void main(String[] args) {
        // Axon asks its vendor for updates at start-up unless told not to; a ledger calls nobody.
        System.setProperty("axoniq.update-checker.disabled", "true");
        SpringApplication application = new SpringApplication(LedgerApplication.class);
        application.addListeners(new DatabaseBootstrap());
        application.run(args);
    }
}
